"""The parts of Backroom's data layer, one concern a module.

Import them through ``backroom.models``, the data layer's face; the order of
the modules and what each may import is written there.
"""
