"""Which bitstream store runs: the backend ``[bitstreams] backend`` names.

Apart from ``store`` (the interface both backends implement), so that the interface
does not import its implementations."""

from accel_api.bitstreams import store


def load(conf):
    """The backend ``[bitstreams] backend`` names."""
    backend = conf.bitstreams.backend
    if backend == "local":
        from accel_api.bitstreams import local

        return local.LocalStore.from_conf(conf)
    if backend == "glance":
        from accel_api.bitstreams import glance

        return glance.GlanceStore.from_conf(conf)
    raise store.StoreError(f"unknown bitstream backend {backend!r}")
