"""Command-line tools of ipa_fpga."""
