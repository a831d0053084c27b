"""Runs inside Ironic: the inspection hook and out-of-band accelerator firmware via sushy."""
