"""``Systems/<id>/GraphicsControllers`` (GPUs with their video BIOS version)."""


def read(scope):
    for system in scope.systems:
        for ctrl in system.graphics_controllers:
            yield ctrl, f"Systems/{system.identity}/GraphicsControllers"
