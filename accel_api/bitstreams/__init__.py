"""Bitstream storage: one interface (``store``), a local content-addressed store
(``local``, the embedded default) and Glance through openstacksdk (``glance``);
``backends`` picks the one configured."""
