"""The portal's pages, one module per path of the site."""
