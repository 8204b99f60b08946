"""The actors: customers and attackers in front of the tablet's camera, made from the shared test
data's real footage and photos. One implementation for the engine and capture tests, the browser
suite and the benchmarks (`bench/`); it needs numpy, OpenCV and Pillow, no Django."""
