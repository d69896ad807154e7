"""The DINAMIS web portal: sign-in, membership online, account, catalogue and basket."""
