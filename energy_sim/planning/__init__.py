"""Planning: the capacity-expansion LP (``model``, one module per constraint family), its hand-off
to HiGHS (``solve``) and the Results dataset built from its solution (``results``).
"""
