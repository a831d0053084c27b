"""The ironic-accel distribution itself: its console scripts and the extras they need."""
