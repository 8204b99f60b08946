"""The server's answer asks Chromium for the face's bitrate on every codec that carries the
picture, and stays an answer the browser's side (here aiortc's) takes."""

from __future__ import annotations

from aiortc import RTCPeerConnection, RTCSessionDescription
from asgiref.sync import async_to_sync

from capture.webrtc.bitrate import face_video_bitrate, with_bitrate


async def offer_and_answer() -> tuple[RTCPeerConnection, str]:
    tablet, server = RTCPeerConnection(), RTCPeerConnection()
    tablet.addTransceiver("video", direction="sendonly")
    await tablet.setLocalDescription(await tablet.createOffer())
    await server.setRemoteDescription(tablet.localDescription)
    await server.setLocalDescription(await server.createAnswer())
    await server.close()
    return tablet, server.localDescription.sdp


def picture_and_other_payloads(sdp: str) -> tuple[set[str], set[str]]:
    rtpmaps = [line.split(" ", 1) for line in sdp.splitlines() if line.startswith("a=rtpmap:")]
    names = {pt[len("a=rtpmap:") :]: rest.split("/")[0].upper() for pt, rest in rtpmaps}
    picture = {pt for pt, name in names.items() if name in {"VP8", "H264"}}
    return picture, set(names) - picture


def test_every_picture_codec_of_the_answer_asks_for_the_bitrate_and_the_answer_is_taken() -> None:
    async def run() -> tuple[str, str]:
        tablet, answer = await offer_and_answer()
        asked = with_bitrate(answer, face_video_bitrate(1000))
        await tablet.setRemoteDescription(RTCSessionDescription(sdp=asked, type="answer"))
        await tablet.close()
        return answer, asked

    answer, asked = async_to_sync(run)()

    picture, others = picture_and_other_payloads(asked)
    assert picture  # VP8 and H.264
    assert others  # their retransmission payloads
    fmtp = {line.split()[0][len("a=fmtp:") :]: line for line in asked.splitlines() if line.startswith("a=fmtp:")}
    wanted = "x-google-start-bitrate=1000;x-google-min-bitrate=500;x-google-max-bitrate=1000"
    assert all(fmtp[pt].count(wanted) == 1 for pt in picture)
    assert not any("x-google" in fmtp.get(pt, "") for pt in others)
    assert "x-google" not in answer  # aiortc's own answer asks nothing: the browser starts low
    # Nothing else changed: the answer's other lines are all there, in order.
    kept = [line for line in asked.splitlines() if "x-google" not in line or not line.startswith("a=fmtp:")]
    assert [line for line in answer.splitlines() if not line.startswith("a=fmtp:")] == [
        line for line in kept if not line.startswith("a=fmtp:")
    ]
