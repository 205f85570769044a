"""The Lab area: the lectures' experiments, one panel each (`area.LabArea`); their maths is Qt-free in
`ganstudio.core.lab`."""
