"""The one adapter over mediapipe's private API: the face-mesh graph fed directly.

`FaceMesh.process` builds a new namedtuple class on every call and parses each landmark list
into Python protobuf objects (~0.6 ms a frame), which the extractor would read back field by
field. `FaceMeshGraph` sends the frame into the solution's own graph with the solution's own
input packet and simulated timestamps, and returns each face's landmarks still serialised.

This needs the solution's private attributes (`_graph`, `_graph_outputs`, `_make_packet`,
`_simulated_timestamp`, `_input_stream_type_info`) and the private `_packet_getter` binding.
mediapipe is pinned (0.10.21); `tests/liveness/test_quality.py` compares this adapter with
`FaceMesh.process`, so an upgrade that changes the internals fails there instead of misleading
the engine. Nothing else in the project touches mediapipe's private names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_MESH_INPUT, _MESH_OUTPUT = "image", "multi_face_landmarks"
_MESH_TIMESTAMP_STEP = 33333  # microseconds, as FaceMesh.process steps its simulated clock


class FaceMeshGraph:
    """mediapipe's FaceMesh (one face, refined landmarks, tracking mode) returning serialised
    `NormalizedLandmarkList`s."""

    def __init__(self) -> None:
        import mediapipe as mp  # heavy import, kept out of the engine's import path
        from mediapipe.python._framework_bindings import _packet_getter

        self._solution: Any = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._input_type = self._solution._input_stream_type_info[_MESH_INPUT]  # noqa: SLF001 - the adapter (module doc)
        self._serialized_protos = _packet_getter._get_serialized_proto_list  # noqa: SLF001 - the adapter (module doc)

    def landmark_lists(self, rgb: npt.NDArray[np.uint8]) -> list[bytes]:
        """The serialised landmark list of each face found in the RGB frame (at most one)."""
        solution = self._solution
        solution._graph_outputs.clear()  # noqa: SLF001 - the adapter (module doc)
        solution._simulated_timestamp += _MESH_TIMESTAMP_STEP  # noqa: SLF001 - the adapter (module doc)
        timestamp = solution._simulated_timestamp  # noqa: SLF001 - the adapter (module doc)
        packet = solution._make_packet(self._input_type, rgb).at(timestamp)  # noqa: SLF001 - the adapter (module doc)
        graph = solution._graph  # noqa: SLF001 - the adapter (module doc)
        graph.add_packet_to_input_stream(stream=_MESH_INPUT, packet=packet)
        graph.wait_until_idle()
        output = solution._graph_outputs.get(_MESH_OUTPUT)  # noqa: SLF001 - the adapter (module doc)
        if output is None or output.is_empty():
            return []
        return list(self._serialized_protos(output))

    def reset(self) -> None:
        """Forget the tracked face (a new stream)."""
        self._solution.reset()

    def close(self) -> None:
        """Release the graph."""
        self._solution.close()
