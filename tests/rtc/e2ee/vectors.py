"""Values computed independently with Node's WebCrypto and livekit-client's parameters
(``src/e2ee/utils.ts``: PBKDF2-SHA256 100 000 iterations / HKDF-SHA256 with 128 zero bytes
of info, salt "LKFrameEncryptionKey"; ``FrameCryptor.encodeFunction``'s frame layout)."""

PASSPHRASE = "lkdesk passphrase"
PBKDF2_KEY = "c93fdaa8b0199ab379ef3f633f929b3b"
PBKDF2_RATCHETED_MATERIAL = "c93fdaa8b0199ab379ef3f633f929b3bb9c225c861b1315907f2ea6e820c5b7f"
PBKDF2_RATCHETED_KEY = "91ca874b1953ea094dc129606f7f5c0f"
RAW_KEY = bytes(range(32))
HKDF_KEY = "6d0dd7b3d6f4efde47ab9a9e15abde76"
HKDF_RATCHETED_MATERIAL = "6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328"

# A 40-byte VP8 delta frame (first byte 0x01: P bit set) encrypted with PBKDF2_KEY, IV 100..111,
# key index 0: 3 clear bytes, ciphertext + tag, IV, 12, 0.
VP8_DELTA_FRAME = bytes((i * 7 + 1) & 0xFF for i in range(40))
VP8_DELTA_ENCRYPTED = bytes.fromhex(
    "01080f072a440ee6983b913c154faecbcfb778f2cc093cff15d24be42c041a317d3538aa46c5c9b9a805e1"
    "12fba79e893256f3271685486c6465666768696a6b6c6d6e6f0c00"
)
