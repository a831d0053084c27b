"""Sphinx configuration of ironic-accel's release notes (reno; ``tox -e releasenotes``)."""

project = "ironic-accel Release Notes"
copyright = "ironic-accel developers"  # noqa: A001 (Sphinx's name)
extensions = ["openstackdocstheme", "reno.sphinxext"]
master_doc = "index"
exclude_patterns = []
html_theme = "openstackdocs"
html_static_path = ["_static"]
openstackdocs_repo_name = "ironic-accel"
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
openstackdocs_bug_project = "ironic-accel"
openstackdocs_bug_tag = "releasenotes"
pygments_style = "native"
