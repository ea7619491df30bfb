"""PyKMIP's client (KMIP 1.4, Username/Password credential) driving `strongroom hsm`.

Usage: /usr/bin/python3 client_flow.py HOST PORT CLIENT_CERT CLIENT_KEY SERVER_CERT PARTITION PASSWORD
Prints one JSON object with what each step returned; the Java test (PyKmipClientIT) checks it.
"""
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")

from kmip.core import enums
from kmip.core.messages import payloads
from kmip.pie import exceptions
from kmip.pie.client import ProxyKmipClient

host, port, cert, key, ca, partition, password = sys.argv[1:8]
M = enums.CryptographicUsageMask
out = {}
c = ProxyKmipClient(hostname=host, port=int(port), cert=cert, key=key, ca=ca, config_file="/dev/null",
                    username=partition, password=password, kmip_version=enums.KMIPVersion.KMIP_1_4)
with c:
    uid = c.create(enums.CryptographicAlgorithm.AES, 256, name="pykmip-cek-1",
                   cryptographic_usage_mask=[M.ENCRYPT, M.DECRYPT])
    out["uid"] = uid
    c.activate(uid)
    cp = c._build_cryptographic_parameters({"cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
                                            "block_cipher_mode": enums.BlockCipherMode.GCM, "tag_length": 16})
    dek = os.urandom(32)
    iv = os.urandom(12)
    aad = b"cluster=dw-1/dek=1"
    er = c.proxy.send_request_payload(enums.Operation.ENCRYPT, payloads.EncryptRequestPayload(
        unique_identifier=uid, cryptographic_parameters=cp, data=dek, iv_counter_nonce=iv, auth_additional_data=aad))
    out["ciphertext_len"] = len(er.data)
    out["tag_len"] = len(er.auth_tag)
    dr = c.proxy.send_request_payload(enums.Operation.DECRYPT, payloads.DecryptRequestPayload(
        unique_identifier=uid, cryptographic_parameters=cp, data=er.data, iv_counter_nonce=iv,
        auth_additional_data=aad, auth_tag=er.auth_tag))
    out["round_trip"] = dr.data == dek
    try:
        c.proxy.send_request_payload(enums.Operation.DECRYPT, payloads.DecryptRequestPayload(
            unique_identifier=uid, cryptographic_parameters=cp, data=er.data, iv_counter_nonce=iv,
            auth_additional_data=b"cluster=other", auth_tag=er.auth_tag))
        out["wrong_aad"] = "accepted"
    except Exception as e:
        out["wrong_aad"] = str(getattr(e, "reason", e))
    try:
        c.get(uid)
        out["get"] = "returned key material"
    except exceptions.KmipOperationFailure as e:
        out["get"] = str(e.reason)
    out["state_attrs"] = str(c.get_attributes(uid, ["State"])[1][0].attribute_value)
    c.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
    c.destroy(uid)
    out["destroyed"] = True
print(json.dumps(out))
