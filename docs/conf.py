"""Sphinx configuration of ironic-accel's documentation (``tox -e docs``,
``tools/build-docs``; warnings are errors)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "_ext"))

project = "ironic-accel"
copyright = "ironic-accel developers"  # noqa: A001 (Sphinx's name)
extensions = [
    "openstackdocstheme",
    "oslo_config.sphinxext",
    "oslo_config.sphinxconfiggen",
    "oslo_policy.sphinxext",
    "oslo_policy.sphinxpolicygen",
    "accel_openapi",
]
# The sample files, generated at build time from the same generator configurations as
# etc/ (tests/unit/accel_api/test_generated_files.py keeps the committed copies current).
config_generator_config_file = [
    ("../etc/oslo-config-generator/accel-api.conf", "_static/accel-api"),
    ("../etc/oslo-config-generator/accel-agent.conf", "_static/accel-agent"),
    ("../etc/oslo-config-generator/ironic-fpga.conf", "_static/ironic-fpga"),
    ("../etc/oslo-config-generator/ipa-fpga.conf", "_static/ipa-fpga"),
]
policy_generator_config_file = [
    ("../etc/oslo-policy-generator/accel-api.conf", "_static/accel-api"),
]
sample_policy_basename = None
accel_openapi_document = os.path.join(TOP, "accel_api", "api", "openapi.yaml")

master_doc = "index"
exclude_patterns = ["_build", "_ext"]
html_theme = "openstackdocs"
html_static_path = ["_static"]
openstackdocs_repo_name = "ironic-accel"
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
openstackdocs_bug_project = "ironic-accel"
openstackdocs_bug_tag = "docs"
pygments_style = "native"
