"""The course's operations: what runs a workshop, never what a notebook imports.

- `doctor`: `python -m dlcourse doctor`, is this computer ready for the course (`Check`, `report`);
- `bundle`: `python -m dlcourse bundle DIR`, notebooks, data, weights and wheels for a room
  without internet;
- `hub`: `python -m dlcourse hub` and `doctor --room N`, the room server (JupyterHub, one Unix
  user per learner, settings in workshop/hub.toml);
- `hubauth`: the room server's login (JupyterHub loads `dlcourse.workshop.hubauth.RoomAuthenticator`);
- `loadtest`: `python -m dlcourse.workshop.loadtest`, K learners running notebook 03 at once
  through the room server (bench/hub.json).

Nothing here is imported by `import dlcourse` or by the learner's modules (tests/test_layout.py).
Import a module explicitly, e.g. `from dlcourse.workshop.doctor import doctor`.
"""
