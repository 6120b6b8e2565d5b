"""Simulation: the robosuite environments of the simulated scenarios, their scripted
experts, recording demonstrations (``record``) and rolling out trained policies
(``rollout``). ``env`` is the glue every simulated scenario shares: the environment
re-created from a dataset's ``env_args``, the observations policies see, seeded resets."""
