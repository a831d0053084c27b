"""All accel-api options in one place; ``list_opts`` feeds oslo-config-generator."""

import os

from oslo_config import cfg


def default_state_dir():
    """$ACCEL_STATE_DIR, else ~/.local/state/accel-api (XDG state home)."""
    env = os.environ.get("ACCEL_STATE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_STATE_HOME") or os.path.join("~", ".local", "state")
    return os.path.join(base, "accel-api")


api_opts = [
    cfg.StrOpt("host_ip", default="127.0.0.1",
               help="Address the API listens on. The default serves loopback only."),
    cfg.PortOpt("port", default=6666, help="TCP port the API listens on (Cyborg's port)."),
    cfg.IntOpt("workers", default=1, min=1, max=256,
               help="Worker processes of the built-in server (granian), all accepting on "
                    "one socket. Python threads share one interpreter lock: add workers "
                    "for cores."),
    cfg.IntOpt("threads", default=8, min=1, max=1024,
               help="Threads per worker that run requests. A request reaches a thread "
                    "only once its body is complete, so a thread waits for the database "
                    "or an agent, never for a client; past what keeps a core busy more "
                    "threads cost CPU (16 instead of 8 cost about 20% more per request "
                    "under load with the previous server). A bind that programs a "
                    "bitstream holds its thread until the agent is done: raise this "
                    "where many such binds run at once."),
    cfg.BoolOpt("balance_connections", default=True,
                help="With several workers, keep the clients' connections spread evenly "
                     "over them: a worker holding more than its share closes one after "
                     "its response (Connection: close) and the client reconnects. "
                     "Otherwise long-lived keep-alive clients stay where the kernel's "
                     "SO_REUSEPORT hash put them, which can leave one worker doing most "
                     "of the work."),
    cfg.IntOpt("max_connections", default=10000, min=1,
               help="Client connections a worker of the built-in server holds at once, "
                    "idle ones included (each costs some KiB, no thread); more wait in "
                    "the listen backlog until one closes. Each is a file descriptor: the "
                    "server raises its soft open files limit to the hard one."),
    cfg.IntOpt("backlog", default=4096, min=128,
               help="Listen backlog of the built-in server's socket: connections the "
                    "kernel queues before the server accepts them."),
    cfg.IntOpt("max_request_body_size", default=1024 * 1024, min=1024,
               help="Largest request body in bytes (inventory documents included); "
                    "larger bodies get 413."),
    cfg.IntOpt("max_inventory_size", default=16 * 1024 * 1024, min=1024,
               help="Largest inventory document PUT /v2/hosts/{hostname}/inventory accepts."),
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", "no authentication; development only"),
                        ("http_basic", "HTTP basic auth against an htpasswd file (bcrypt)"),
                        ("keystone", "Keystone tokens via keystonemiddleware")],
               help="How callers are authenticated."),
    cfg.StrOpt("public_endpoint",
               help="Base URL used in links; defaults to the request's host URL."),
    cfg.IntOpt("client_socket_timeout", default=10, min=1, max=60,
               help="Seconds a client has to send a request's headers; also how long "
                    "an idle keep-alive connection is kept open. Waiting clients hold no "
                    "thread (the built-in server)."),
    cfg.IntOpt("client_body_timeout", default=30, min=1,
               help="Seconds a request body may take to arrive, extended by one second "
                    "for every client_body_min_rate bytes received; a slower one is "
                    "answered 408 (the built-in server)."),
    cfg.IntOpt("client_body_min_rate", default=16384, min=1,
               help="Bytes per second that extend client_body_timeout by one second, so "
                    "that large uploads at a steady rate are not cut off."),
    cfg.IntOpt("graceful_shutdown_timeout", default=30, min=0,
               help="Seconds a worker waits for in-flight requests on SIGTERM."),
]

database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL. Default: SQLite file accel-api.sqlite in state_dir."),
    cfg.IntOpt("pool_size", default=10, min=1, help="Connection pool size (not SQLite)."),
    cfg.IntOpt("max_overflow", default=20, min=0, help="Pool overflow (not SQLite)."),
    cfg.IntOpt("retries", default=10, min=1,
               help="Attempts of a claim transaction that hit a deadlock or a lock timeout."),
]

default_opts = [
    cfg.StrOpt("state_dir", default=default_state_dir(),
               sample_default="~/.local/state/accel-api",
               help="Directory for the embedded SQLite database and other state."),
]

http_basic_opts = [
    cfg.StrOpt("auth_file", help="htpasswd file with bcrypt entries (``htpasswd -B``)."),
    cfg.DictOpt("user_projects", default={},
                help="Project of each user (user:project). Users not listed get "
                     "default_project."),
    cfg.DictOpt("user_roles", default={},
                help="Roles of each user, separated by '+' (user:reader+member). Users not "
                     "listed get default_roles."),
    cfg.StrOpt("default_project", default="admin", help="Project of unlisted users."),
    cfg.ListOpt("default_roles", default=["admin", "service"],
                help="Roles of unlisted users (as Ironic standalone: every user is admin)."),
    cfg.IntOpt("verified_cache_seconds", default=300, min=0,
                help="How long a user and password bcrypt accepted are accepted again "
                     "without bcrypt (which takes milliseconds per check by design). "
                     "Only an HMAC under a per-process random key is kept, never the "
                     "password; failures are never kept; editing auth_file forgets all. "
                     "0: bcrypt on every request."),
]

claims_opts = [
    cfg.StrOpt("programmer", default="agent",
               help="Programmer (stevedore namespace accel_api.programmers) a bind asks to "
                    "program the deployable when the profile group has accel:bitstream_id "
                    "or accel:function_id. 'agent' programs through the host's accel-agent "
                    "(JSON-RPC); 'none' binds requests that need no programming and refuses "
                    "the others with a clear error."),
    cfg.BoolOpt("asynchronous_programming", default=True,
                help="A bind whose profile group programs the deployable (accel:bitstream_id "
                     "or accel:function_id, through the agent programmer) answers 202 at "
                     "once with the ARQ BindStarted, programs in the background, ends Bound "
                     "or BindFailed and tells Nova (event accelerator-request-bound, see "
                     "[nova]), as Cyborg does. False: the PATCH waits for the programming."),
    cfg.IntOpt("async_bind_lease", default=30, min=2,
               help="Seconds an accel-api process holds an asynchronous bind without "
                    "renewing its lease (renewed every third of it while it works). A bind "
                    "whose owner died is taken over by another process (on this database) "
                    "once its lease passed: finished, or BindFailed, and Nova told."),
    cfg.IntOpt("async_bind_workers", default=4, min=1, max=64,
               help="Asynchronous binds one accel-api process runs at once (threads)."),
    cfg.IntOpt("async_notify_attempts", default=10, min=1,
               help="Tries to deliver Nova's event of an asynchronous bind (spaced by the "
                    "lease renewal) before accel-api gives up and logs an error."),
]

bitstream_opts = [
    cfg.StrOpt("backend", default="local",
               choices=[("local", "content-addressed files under local_dir (embedded default)"),
                        ("glance", "Glance images tagged FPGA, through openstacksdk ([glance])")],
               help="Where uploaded bitstreams are stored."),
    cfg.StrOpt("local_dir",
               help="Directory of the local store. Default: <state_dir>/bitstreams."),
    cfg.IntOpt("max_size", default=2 * 1024 * 1024 * 1024, min=1,
               help="Largest bitstream an upload may carry, in bytes; larger uploads get "
                    "413 and nothing is stored."),
    cfg.IntOpt("chunk_size", default=1024 * 1024, min=4096,
               help="Bytes read and written per step when streaming bitstreams."),
    cfg.IntOpt("upload_lease", default=60, min=2,
               help="glance backend: seconds an accel-api process holds an upload without "
                    "renewing its lease (renewed every third of it while the upload "
                    "runs). The Glance image of an upload whose process died (killed, "
                    "crashed) or failed to delete it is removed by any accel-api process "
                    "on this database once the lease passed: at start and every third of "
                    "the lease. Only an image accel-api made for that very upload (its "
                    "accel_upload_id property) that no bitstream points to is removed. "
                    "Clocks of the API nodes should agree to well within the lease."),
]

programming_opts = [
    cfg.IntOpt("job_timeout", default=900, min=1,
               help="Seconds a programming job may take, download included. Past it the "
                    "job fails (the agent died or hung); it never stays running."),
    cfg.FloatOpt("poll_interval", default=0.5, min=0.05,
                 help="Seconds between two looks at a running job on the agent."),
    cfg.IntOpt("agent_unreachable_timeout", default=30, min=1,
               help="Seconds an agent may stay unreachable while it runs a job before the "
                    "job fails with 'agent unreachable'."),
    cfg.StrOpt("download_url",
               help="Base URL agents fetch bitstreams from (this API's address as the "
                    "hosts reach it). Default: the [api] host_ip and port."),
]

gpu_partitions_opts = [
    cfg.ListOpt("placement_hosts", default=[],
                help="Hosts whose MDEV and MIG partition pools are reported to Placement "
                     "('*': every host). Off by default: on a Nova hypervisor Nova's libvirt "
                     "driver reports mdev vGPU inventory itself (reporting it here too would "
                     "count it twice) and Nova cannot attach MDEV or MIG handles anyway; "
                     "list the hosts without Nova (Kubernetes, bare metal, batch) whose "
                     "schedulers read Placement. Claims (POST /v2/claims) never need it. "
                     "PCI deployables (whole GPUs, vendor-VFIO VFs) are always reported."),
]

agent_rpc_opts = [
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", "no authentication (development only)"),
                        ("http_basic", "HTTP basic auth with a credential of each host's "
                                       "own, derived from credential_secret; each agent "
                                       "learns its own when it registers")],
               help="How accel-api authenticates to the agents' JSON-RPC (ironic-lib)."),
    cfg.StrOpt("username", default="accel-api",
               help="HTTP basic user accel-api calls the agents' JSON-RPC as."),
    cfg.StrOpt("credential_secret", secret=True,
               help="Secret each host's JSON-RPC password is derived from "
                    "(HMAC-SHA256 of the host name): every host's differs, so one taken "
                    "from a host opens no other. Needed with auth_strategy = http_basic; "
                    "also signs the bitstream URLs of jobs, without which an agent user "
                    "(role accel_agent only) cannot fetch them. The same on every accel-api "
                    "worker and node. Changing it rotates every host's password (each "
                    "agent learns its new one at its next registration)."),
    cfg.BoolOpt("allow_loopback", default=False,
                help="Accept loopback rpc_host addresses (127.0.0.0/8, ::1, localhost): "
                     "only where agents run on accel-api's own machine (tests, a "
                     "single-machine deployment). Link-local, metadata, unspecified, "
                     "multicast and reserved addresses are always refused."),
    cfg.BoolOpt("use_ssl", default=False, help="Reach the agents over https."),
    cfg.StrOpt("cafile", help="CA bundle that signed the agents' certificates."),
    cfg.IntOpt("timeout", default=30, min=1, help="Seconds one JSON-RPC call may take."),
]

agent_auth_opts = [
    cfg.StrOpt("user_prefix", default="accel-agent@",
               help="An agent authenticates to accel-api as the principal of its host: "
                    "a user named <user_prefix><hostname> with the accel_agent role "
                    "(policy rule host_agent). It may then register that host's agent "
                    "endpoint and import that host's inventory, nothing of other hosts."),
    cfg.StrOpt("user_domain", default="Default",
               help="keystone: the domain (name) agent users must belong to, so that a "
                    "user of another domain with a matching name is no host's agent."),
    cfg.ListOpt("http_basic_roles", default=["accel_agent"],
                help="http_basic: roles of users named <user_prefix><hostname> who are not "
                     "listed in [http_basic] user_roles (instead of default_roles)."),
]

placement_report_opts = [
    cfg.StrOpt("default_host_kind", default="nova",
               choices=[("nova", "Nova manages the host: its providers go under the compute "
                                 "node's resource provider, once nova-compute made it"),
                        ("standalone", "no Nova (Ironic only): the providers go under a root "
                                       "of accel-api's, ironic-accel:standalone:<hostname>")],
               help="Kind of a host whose inventory document does not say "
                    "(host.nova_compute absent or null). accel-agent says nova_compute = "
                    "[agent] nova_compute; the Ironic inspection hook says false."),
    cfg.IntOpt("compute_node_retry_interval", default=5, min=1,
               help="Seconds before accel-api looks again for the compute node provider of "
                    "a Nova host that has none yet (or after Placement failed); the wait "
                    "doubles at each try, up to compute_node_retry_max_interval."),
    cfg.IntOpt("compute_node_retry_max_interval", default=300, min=1,
               help="Longest wait between two looks for a missing compute node provider."),
    cfg.IntOpt("verify_interval", default=300, min=0,
               help="Seconds an unchanged report trusts what accel-api last wrote or checked "
                    "in Placement for the host, and costs no Placement request. Past it, the "
                    "next report (or the retrier, for a host that stopped reporting) reads "
                    "the host's tree once and converges what others changed. 0: every "
                    "report reads it."),
    cfg.IntOpt("empty_root_grace", default=60, min=0,
               help="Seconds a root provider named like a Nova host's compute node, with no "
                    "inventory, traits or children, may stay so before accel-api removes it "
                    "as a leftover (nova-compute fills its own within a second)."),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(api_opts, group="api")
    conf.register_opts(database_opts, group="database")
    conf.register_opts(http_basic_opts, group="http_basic")
    conf.register_opts(claims_opts, group="claims")
    conf.register_opts(bitstream_opts, group="bitstreams")
    conf.register_opts(programming_opts, group="programming")
    conf.register_opts(agent_rpc_opts, group="agent_rpc")
    conf.register_opts(agent_auth_opts, group="agent_auth")
    conf.register_opts(gpu_partitions_opts, group="gpu_partitions")
    from accel_api.bitstreams import glance
    from accel_api.placement import client as placement_client

    placement_client.register_opts(conf)
    conf.register_opts(placement_report_opts, group="placement")
    from accel_api import nova_events

    nova_events.register_opts(conf)
    glance.register_opts(conf)


def list_opts():
    """Options by group for oslo-config-generator (entry point ``accel_api``)."""
    return [
        ("DEFAULT", default_opts),
        ("api", api_opts),
        ("database", database_opts),
        ("http_basic", http_basic_opts),
        ("claims", claims_opts),
        ("bitstreams", bitstream_opts),
        ("programming", programming_opts),
        ("agent_rpc", agent_rpc_opts),
        ("agent_auth", agent_auth_opts),
        ("gpu_partitions", gpu_partitions_opts),
        ("placement", placement_report_opts + _ks_opts()),
        ("glance", _ks_opts()),
        ("nova", _ks_opts()),
    ]


def _ks_opts():
    """keystoneauth session/auth/adapter options of a client group ([placement], [glance]).

    Reporting to Placement is on when ``[placement] auth_type`` is set."""
    from accel_api.placement import client as placement_client

    return placement_client.list_opts()
