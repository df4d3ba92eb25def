"""The composition root: settings → adapters → bus, each built on first use and then kept."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from devopsbot.log_levels import configure_logging
from devopsbot.organisation import OrganisationFile, load_organisation_file, to_policy
from devopsbot.settings import Settings, load_settings
from incident.errors import ConfigurationError
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.alert_handlers import ALERT_HANDLERS
from services.bridge import BRIDGE_HANDLERS
from services.bus import Dependencies, MessageBus
from services.handlers import HANDLERS
from services.ports import Clock, IssueTracker, Mailer, Notifier
from services.postmortem_handlers import POSTMORTEM_HANDLERS
from services.reactions import DEFAULT_REACTIONS, EVENT_REACTIONS, REACTIONS
from services.task_handlers import TASK_HANDLERS

if TYPE_CHECKING:
    from adapters.graph import GraphClient
    from adapters.graph_meetings import GraphMeetings
    from adapters.openid_tokens import OpenIdKeys, TokenValidator
    from adapters.table_storage import TableStore
    from bot.endpoint import BotEndpoint, BotIdentity, TeamsAdapter
    from bot.setup import TeamsSetup
    from services.status_page_ports import StatusFiles, StatusPagePublishing

log = logging.getLogger(__name__)


# Storage calls must give up well within Teams' 15 s (after which it redelivers the activity, and the user
# waits): azure-core's defaults (3 read retries, 10 in all, 0.8 s exponential backoff up to 2 min) with a 20 s
# read timeout held a turn for over 80 s when storage hung. Worst case now: 3 attempts of at most 1 s to
# connect and 3 s of silence, plus 1 s of backoff, 13 s (tests/resilience/test_storage_faults.py checks it).
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
STORAGE_CLIENT_OPTIONS: dict[str, Any] = {
    "connection_timeout": 1, "read_timeout": 3, "retry_total": 2, "retry_backoff_factor": 0.5,
    "retry_backoff_max": 2,
}

class Container:
    """Everything the app uses, built lazily. ``in_memory=True`` swaps storage for the fakes; ``notifier``
    replaces the Teams notifier (tests record notifications with ``adapters.memory.RecordingNotifier``)."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, in_memory: bool = False,
                 policy: OrganisationPolicy | None = None, notifier: Notifier | None = None,
                 graph: GraphClient | None = None, mailer: Mailer | None = None,
                 table_client_options: Mapping[str, Any] | None = None,
                 tracker: IssueTracker | None = None, status_files: StatusFiles | None = None,
                 status_container: str = "$web") -> None:
        self.settings = settings
        self._status = (status_files, status_container)  # where the status page goes; tests publish to their own
        self._tracker = tracker
        self._clock = clock
        self._in_memory = in_memory
        self._policy = policy
        self._notifier = notifier
        self._graph = graph
        self._mailer = mailer
        self._table_client_options = dict(table_client_options or {})
        from adapters.process_metrics import process_metrics

        process_metrics()  # what the services count from now on is served at /api/metrics

    @cached_property
    def organisation(self) -> OrganisationFile:
        return load_organisation_file(self.settings.organisation_file)

    @cached_property
    def policy(self) -> OrganisationPolicy:
        policy = self._policy or to_policy(self.organisation)
        # Incident cards link to the playbooks where this app serves them.
        return replace(policy, playbooks=replace(policy.playbooks, link_base=self.settings.public_url))

    @cached_property
    def teams_setup(self) -> TeamsSetup:
        from bot.setup import TeamsSetup

        teams = self.organisation.teams
        return TeamsSetup(space_mode=teams.space_mode, incidents_channel=teams.incidents_channel,
                          broadcast_channels=tuple(teams.broadcast_channels),
                          admin_team=tuple(Person(p.id, p.name, p.email) for p in teams.admin_team),
                          private_spaces=bool(self._graph is not None or self.settings.graph_auth) and (
                              teams.space_mode == "channel" or bool(self.settings.teams_app_id)))

    @cached_property
    def graph(self) -> GraphClient | None:
        """Microsoft Graph, for incident spaces as channels or group chats; None when not configured."""
        s = self.settings
        if self._graph is not None or not s.graph_auth:
            return self._graph
        from adapters.graph import GraphClient, GraphIdentity, shared_tokens

        identity = GraphIdentity(
            mode=s.graph_auth, client_id=s.graph_client_id, tenant_id=s.graph_tenant_id,
            client_secret=s.graph_client_secret, certificate_path=s.graph_certificate_path,
            certificate_thumbprint=s.graph_certificate_thumbprint, authority_host=s.graph_authority_host)
        identity.check()
        return GraphClient(shared_tokens(identity), base_url=s.graph_base_url)

    @cached_property
    def mailer(self) -> Mailer | None:
        if self._mailer is not None:
            return self._mailer
        s = self.settings
        if s.mail_transport == "graph":
            from adapters.graph_mail import GraphMailer

            assert self.graph is not None  # settings require a Graph identity for graph mail
            return GraphMailer(self.graph, sender=s.mail_from, reply_to=s.inbound_mailbox)
        if s.mail_transport != "smtp":
            return None
        from adapters.smtp_mailer import SmtpMailer

        return SmtpMailer(host=s.smtp_host, port=s.smtp_port, sender=s.mail_from, starttls=s.smtp_starttls,
                          username=s.smtp_username, password=s.smtp_password, reply_to=s.inbound_mailbox,
                          allow_plaintext_auth=s.smtp_allow_plaintext_auth)

    @cached_property
    def service_health(self) -> GraphClient | None:
        """Microsoft 365 service health (Graph); None, said once here, when Graph is not configured."""
        if self.graph is None:
            log.info("Microsoft 365 service health is not watched: Microsoft Graph is not configured "
                     "(DEVOPSBOT_GRAPH_AUTH); Teams is marked down by people and failed sends only")
        return self.graph

    @cached_property
    def meetings(self) -> GraphMeetings | None:
        """Teams meetings for incident bridges; None (cards show the plan's phone bridge) when not configured."""
        from adapters.graph_meetings import meetings_for

        return meetings_for(self.graph, self.settings.bridge.organizer, self.settings.bridge.timeout_seconds)

    async def directory(self, address: str) -> Person | None:
        """Who devopsbot knows by email address: the admin team, the escalation contact and everyone in
        the roster (one partition read per service)."""
        wanted = address.strip().lower()
        contact = self.policy.escalation.contact
        known: list[Person] = [*self.teams_setup.admin_team, *((contact,) if contact else ())]
        for person in known:
            if person.email and person.email.lower() == wanted:
                return person
        for service in (*self.policy.services, "*"):
            for entry in await self.dependencies.roster.for_service(service):
                for someone in entry.people:
                    if someone.email and someone.email.lower() == wanted:
                        return Person(someone.id, someone.name, someone.email, someone.aad_id)
        return None

    @cached_property
    def mailbox(self) -> Any:
        """The incidents mailbox (Graph delta query), or None when email in is off."""
        if not self.settings.inbound_mailbox or self.graph is None or self.dependencies.state is None:
            return None
        from adapters.inbound_sources import GraphMailbox

        return GraphMailbox(self.graph, self.settings.inbound_mailbox, self.dependencies.state)

    def validate(self) -> None:
        """Everything start-up can check without I/O: settings, the organisation file, their agreement."""
        _ = self.policy
        mode = self.teams_setup.space_mode
        if self.graph is None and mode != "thread":  # building the client checks its identity (https only)
            raise ConfigurationError("settings", "DEVOPSBOT_GRAPH_AUTH",
                                     f"required: the organisation file asks for incident spaces as '{mode}'s, "
                                     "which devopsbot creates through Microsoft Graph")
        if mode == "chat" and not self.settings.teams_app_id:
            raise ConfigurationError("settings", "DEVOPSBOT_TEAMS_APP_ID",
                                     "required for incident group chats: the bot is installed in each chat")

    @cached_property
    def notifier(self) -> Notifier:
        """Teams (or the notifier a test hands in), with email taking over whenever Teams fails."""
        from services.fallback import FallbackNotifier

        # Both built on first use: the Teams notifier imports botbuilder, which pages that never notify (the
        # dashboard, health) should not pay for at cold start; the fallback mails with the dependencies it is
        # part of.
        return FallbackNotifier(lambda: self.teams_notifier, lambda: self.dependencies)

    @cached_property
    def teams_notifier(self) -> Notifier:
        if self._notifier is not None:
            return self._notifier
        from bot.notifier import TeamsNotifier

        return TeamsNotifier(adapter=lambda: self.bot_adapter, app_id=self.settings.bot_app_id,
                             conversations=self._stores["conversations"], setup=self.teams_setup,
                             policy=self.policy, clock=self.clock, graph=self.graph,
                             teams_app_id=self.settings.teams_app_id)

    @cached_property
    def tracker(self) -> IssueTracker | None:
        """Where follow-ups are filed (Azure DevOps Boards or GitHub); None: devopsbot alone."""
        if self._tracker is not None or not self.settings.tracker_kind:
            return self._tracker
        from adapters.tracker import HttpIssueTracker

        s = self.settings
        return HttpIssueTracker(kind=s.tracker_kind, url=s.tracker_url, token=s.tracker_token,
                                public_url=s.public_url)

    @cached_property
    def clock(self) -> Clock:
        if self._clock is not None:
            return self._clock
        from adapters.clock import SystemClock

        return SystemClock()

    @cached_property
    def store(self) -> TableStore:
        from adapters.table_storage import TableStore

        return TableStore(self._table_service(), self.settings.table_prefix, self._storage_options())

    def _storage_options(self) -> dict[str, Any]:
        options = {**STORAGE_CLIENT_OPTIONS, **self._table_client_options}
        if not any(os.environ.get(name) for name in PROXY_VARIABLES):
            # Otherwise every request looks for proxy variables and a ~/.netrc again, on a worker thread:
            # a fifth of the app's CPU in a declaration storm (bench/declaration_storm.py).
            options.setdefault("use_env_settings", False)
        return options

    def _table_service(self) -> Any:
        from azure.data.tables.aio import TableServiceClient

        options = self._storage_options()
        if self.settings.storage_connection_string:
            return TableServiceClient.from_connection_string(
                self.settings.storage_connection_string, **options)
        from azure.identity.aio import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=self.settings.storage_client_id or None)
        return TableServiceClient(endpoint=self.settings.storage_account_url, credential=credential,
                                  **options)

    @cached_property
    def _stores(self) -> dict[str, Any]:
        """The repositories and stores, built before the dependencies that also hold the notifier (which
        needs the conversation references)."""
        from devopsbot.stores import memory_stores, table_stores

        if self._in_memory:
            return memory_stores(self.settings.teams_down_after)
        return table_stores(self.store, self.settings.teams_down_after)

    @cached_property
    def dependencies(self) -> Dependencies:
        from devopsbot.triage_wiring import triage_cards

        return Dependencies(policy=self.policy, clock=self.clock, notifier=self.notifier, mailer=self.mailer,
                            tracker=self.tracker, meetings=self.meetings, status_page=self.status_page,
                            **self._stores, **self._mail_options(),
                            triage=triage_cards(lambda: self.teams_notifier, self._stores["conversations"],
                                                lambda: self.teams_setup, own_notifier=self._notifier is not None))

    @cached_property
    def status_page(self) -> StatusPagePublishing:
        from devopsbot.status_page_wiring import status_page_publishing

        return status_page_publishing(self.settings, self._in_memory, *self._status, store=lambda: self.store)

    def _mail_options(self) -> dict[str, Any]:
        s = self.settings
        links = None
        if s.action_link_key:
            from datetime import timedelta

            from services.action_link_tokens import ActionLinkSigner

            links = ActionLinkSigner(s.action_link_key, ttl=timedelta(hours=s.action_link_ttl_hours),
                                     previous_key=s.action_link_previous_key)
        return {"links": links, "public_url": s.public_url, "inbound_mailbox": s.inbound_mailbox}

    @cached_property
    def bus(self) -> MessageBus:
        handlers = {**HANDLERS, **POSTMORTEM_HANDLERS, **ALERT_HANDLERS, **BRIDGE_HANDLERS, **TASK_HANDLERS}
        return MessageBus(self.dependencies, handlers, REACTIONS, DEFAULT_REACTIONS, EVENT_REACTIONS)

    @cached_property
    def bot(self) -> BotEndpoint:
        from bot.endpoint import BotEndpoint
        from bot.turn_handler import DevOpsBot

        return BotEndpoint(self.bot_identity,
                           bot=DevOpsBot(self.bus, self.teams_setup, app_id=self.settings.bot_app_id),
                           adapter=self.bot_adapter, tenant_keys=self.entra_keys)

    @cached_property
    def bot_identity(self) -> BotIdentity:
        from bot.endpoint import BotIdentity

        s = self.settings
        return BotIdentity(app_id=s.bot_app_id, app_password=s.bot_app_password, app_type=s.bot_app_type,
                           tenant_id=s.bot_tenant_id, allowed_tenants=s.allowed_tenants,
                           openid_metadata_url=s.bot_openid_metadata_url)

    @cached_property
    def bot_adapter(self) -> TeamsAdapter:
        """Sends the Teams notifier's messages and receives the bot's turns; needs neither the bot nor the bus."""
        from bot.endpoint import build_adapter

        return build_adapter(self.bot_identity)

    @cached_property
    def entra_keys(self) -> OpenIdKeys | None:
        """The signing keys of the bot's Entra tenant: one cache for tenant-issued channel tokens and page sign-in."""
        s = self.settings
        if not (s.authentication_enabled and s.bot_tenant_id):
            return None
        from adapters.openid_tokens import OpenIdKeys, entra_metadata_url

        return OpenIdKeys(s.entra_openid_metadata_url or entra_metadata_url(s.bot_tenant_id))

    @cached_property
    def page_tokens(self) -> TokenValidator | None:
        """Checks the Entra ID tokens people send the pages (Teams single sign-on); None without a registration."""
        s = self.settings
        if self.entra_keys is None or not s.pages_client_id:
            return None
        from adapters.openid_tokens import TokenRules, TokenValidator, entra_issuers, sign_in_audiences

        rules = TokenRules(entra_issuers(s.bot_tenant_id), sign_in_audiences(s.pages_client_id, s.public_url))
        return TokenValidator(self.entra_keys, rules)

    async def storage_reachable(self) -> tuple[bool, str]:
        """For /api/health and start-up: one fast probe, no retries."""
        if self._in_memory:
            return True, "in memory"
        from incident.errors import StorageUnavailable

        try:
            await self.store.probe()
        except StorageUnavailable as error:
            return False, str(error)
        return True, "reachable"

    async def aclose(self) -> None:
        if "bus" in self.__dict__:
            await self.bus.drain()  # reactions still telling people finish before the clients close
        if "teams_notifier" in self.__dict__ and hasattr(self.teams_notifier, "aclose"):
            await self.teams_notifier.aclose()  # the Bot Connector session (bot/connector_rest.py)
        if self.__dict__.get("graph") is not None:
            await self.graph.close()  # type: ignore[union-attr]
        if self.__dict__.get("meetings") is not None:
            await self.meetings.close()  # type: ignore[union-attr]
        if "status_page" in self.__dict__:
            await self.status_page.close()
        if "store" in self.__dict__:
            await self.store.close()
            credential = getattr(self.store.service, "credential", None)
            if credential is not None and hasattr(credential, "close"):
                await credential.close()


_container: Container | None = None
_building = threading.Lock()


def get_container() -> Container:
    """The process-wide container, built from the environment on first call.

    Settings and the organisation file are both validated here, before anything runs, so the app
    never works half-configured: a mistake raises ConfigurationError on every request instead.
    """
    global _container
    with _building:  # the warm-up thread and a request (or a timer) may ask at once: one container
        if _container is None:
            settings = load_settings(os.environ)
            container = Container(settings)
            container.validate()  # the organisation file and settings now, not on first use
            configure_logging(settings.log_level)
            from devopsbot.telemetry_setup import start_telemetry

            start_telemetry(os.environ)  # only with Application Insights configured
            for feature, reason in settings.switched_off:  # the core runs; /api/health and `check` say the same
                log.warning("%s switched off: %s", feature, reason)
            _container = container
    return _container


def reset_container(container: Container | None = None) -> None:
    """Replace the process-wide container (the local host and tests use this)."""
    global _container
    _container = container
