"""The published consent texts, seeded by data migrations (version 1, then version 2).

Later versions are published in the admin; a consent record always points at the exact text shown
and keeps the body as rendered for the customer. A body may name `{retention_hours}`: it is replaced
with the effective policy's evidence retention when the text is shown (`selectors.consent_text_body`).
"""

RETENTION_PLACEHOLDER = "{retention_hours}"

CONSENT_V1 = {
    ("face_processing", "zh-hans"): (
        "人脸信息处理单独同意书",
        "为落实电话用户真实身份信息登记（实名制）要求，我们将在本次办理中处理您的人脸信息：\n"
        "1. 处理内容：摄像头实时画面中的面部动作（眨眼、转头）用于活体检测，以及一张现场人脸照片与您本人证件照片的一对一比对。\n"
        "2. 目的：仅用于确认办理人与证件持有人为同一人，不用于其他任何目的，不与他人人脸进行检索比对，不分析年龄、性别或情绪。\n"
        "3. 保存：不保存视频；证件照片和一张现场照片加密保存，业务办结后72小时内删除。\n"
        "4. 您有权拒绝：拒绝不影响办理，您可以选择由主管人工核验证件的替代方式。",
    ),
    ("face_processing", "en"): (
        "Separate consent to face processing",
        "To register your number under real-name rules, we will process your face in this visit:\n"
        "1. What: the live camera picture of your face moving (blinks, head turns) to check you are present, "
        "and one live photo compared one-to-one with the photo on your own ID document.\n"
        "2. Why: only to confirm that you are the holder of the document. Your face is never searched against "
        "other people, and no age, gender or emotion analysis is done.\n"
        "3. How long: no video is kept; the document photo and one live photo are stored encrypted and deleted "
        "within 72 hours after the decision.\n"
        "4. Your right to refuse: you may refuse and ask for a supervisor to check your document by hand instead.",
    ),
    ("guardian", "zh-hans"): (
        "监护人同意书",
        "办理人未满十四周岁。作为其监护人，我同意按上述说明处理其人脸信息，并提供本人姓名和证件。",
    ),
    ("guardian", "en"): (
        "Guardian's consent",
        "The customer is under 14. As their guardian I consent to the processing of their face as described "
        "above, and give my own name and ID document.",
    ),
}


def _v2(body: str) -> str:
    """Version 2 names the configured retention instead of a fixed 72 hours."""
    return body.replace("72", RETENTION_PLACEHOLDER)


CONSENT_V2 = {
    key: (title, _v2(body) if key[0] == "face_processing" else body) for key, (title, body) in CONSENT_V1.items()
}
