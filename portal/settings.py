"""Portal settings, read from ``DINAMIS_PORTAL_*`` variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dinamis.settings import Settings


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_PORTAL_", env_file=".env", extra="ignore")

    public_url: str = Field(default_factory=lambda: Settings().portal_url)
    """Where users reach the portal: links in mails point there; ``https://`` makes cookies
    Secure."""
    api_url: str = Field(default_factory=lambda: Settings().api_url)
    """The STAC API as the browser reaches it (links, snippets, downloads)."""
    tiler_url: str = Field(default_factory=lambda: Settings().tiler_url)
    """The tiler as the browser reaches it (tiles, clips, docs)."""
    api_internal_url: str | None = None
    """The STAC API as the portal's server reaches it (a container name); ``api_url`` if unset."""

    session_ttl: int = Field(default=8 * 3600, gt=0)
    """Seconds a session lives without being used."""
    link_ttl: int = Field(default=48 * 3600, gt=0)
    """Seconds a mailed link (confirmation, invitation, password reset) stays valid."""
    login_attempts: int = Field(default=5, gt=0)
    """Failed sign-ins allowed per e-mail address in ``login_window``."""
    login_attempts_per_client: int = Field(default=30, gt=0)
    """Failed sign-ins allowed per client address (whatever the e-mail) in ``login_window``:
    higher, as a lab's users may share one address behind their NAT."""
    login_window: int = Field(default=300, gt=0)
    """Seconds over which failed sign-ins are counted."""
    token_ttl: int = Field(default=900, gt=0, le=3600)
    """Lifetime of the access tokens the pages use for tiles, clips and downloads."""
    charter_version: str = "2024"
    """Version of the DINAMIS membership charter that applicants accept."""
    max_basket_items: int = Field(default=100, gt=0)
    max_key_days: int = Field(default=365, gt=0)
    """Longest lifetime of an API key created from the portal."""
    max_text: int = Field(default=2000, gt=0)
    """Longest free text (purpose, refusal reason) a form accepts."""
    search_limit: int = Field(default=50, gt=0, le=500)
    """Items per page of catalogue results."""
    backoffice_page_size: int = Field(default=50, gt=0, le=500)
    """Requests or audit entries per page of the operators' back-office."""
    backoffice_queue_size: int = Field(default=10, gt=0, le=100)
    """Rows of the back-office's short lists: requests per status on its home (the longest
    waiting), catalogue items offered for a delivery."""
    backoffice_max_pages: int = Field(default=1000, gt=0)
    """Pages of back-office results one may page to (narrow the search beyond)."""

    stapi_path: str = "/stapi"
    """Where the API serves imagery requests (its ``DINAMIS_ORDERS_PREFIX``)."""
    archive_collection: str = "airbus-archive"
    """The provider's archive collection, whose scenes archive requests pick on the map."""
    aoi_file_bytes: int = Field(default=2_000_000, gt=0)
    """Largest area-of-interest file (GeoJSON, KML, zipped shapefile) a request form takes."""
    aoi_unzipped_bytes: int = Field(default=20_000_000, gt=0)
    """What a zipped shapefile may unpack to."""
    aoi_features: int = Field(default=500, gt=0)
    """Features an area-of-interest file may hold."""
    aoi_geometry_chars: int = Field(default=200_000, gt=0)
    """Longest area of interest, as GeoJSON text, the request form sends (room for the API's
    largest vertex count)."""
    opportunity_days: int = Field(default=31, gt=0)
    """Days of satellite passes the request form shows (the API's own limit applies too)."""

    oidc_issuer: str | None = None
    """An OpenID Connect provider (Keycloak realm URL, …) users may sign in with; off if unset.
    Its ``/.well-known/openid-configuration`` gives the endpoints."""
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    """For a confidential client; a public client relies on PKCE alone."""
    oidc_name: str = "OpenID Connect"
    """The provider's name on the sign-in button."""
    oidc_email_claim: str = "email"
    """The ID token's claim naming the user, matched against registered e-mail addresses."""

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def api_server_url(self) -> str:
        return (self.api_internal_url or self.api_url).rstrip("/")
