"""Golden KMIP messages, encoded by PyKMIP 0.10's own encoder (Debian python3-pykmip).

Usage (from hsm/): /usr/bin/python3 src/test/resources/pykmip/golden.py src/test/resources/golden
Writes one <name>.hex file per message: every request Strongroom's client sends or its gateway parses, and every
response the gateway answers or the client parses, in KMIP 1.4 (and 2.0 where the encodings differ), plus failure
responses. PyKmipGoldenTest pins Strongroom's encoder and decoder to these bytes. Time stamps are fixed
(1700000000) so a re-run writes the same files.
"""
import os
import sys
import warnings

warnings.simplefilter("ignore")

from kmip.core import enums, objects, primitives, utils, attributes
from kmip.core.factories.attributes import AttributeFactory
from kmip.core.messages import contents, messages, payloads

V14 = enums.KMIPVersion.KMIP_1_4
V20 = enums.KMIPVersion.KMIP_2_0
NOW = 1700000000
UID = "8"
AAD = b"cluster=dw-1/dek=1"
IV = bytes(range(12))
DATA = bytes(32)
TAG = bytes(range(16))
A = AttributeFactory()

out_dir = sys.argv[1]


def version(v):
    return contents.ProtocolVersion(2, 0) if v == V20 else contents.ProtocolVersion(1, 4)


def credential(partition, password):
    return contents.Authentication(credentials=[objects.Credential(
        credential_type=enums.CredentialType.USERNAME_AND_PASSWORD,
        credential_value=objects.UsernamePasswordCredential(username=partition, password=password))])


def request(name, op, payload, v=V14, auth=None):
    header = messages.RequestHeader(protocol_version=version(v), authentication=auth,
                                    batch_count=contents.BatchCount(1))
    item = messages.RequestBatchItem(operation=contents.Operation(op), request_payload=payload)
    write(name, messages.RequestMessage(request_header=header, batch_items=[item]), v)


def response(name, op, payload, v=V14, status=enums.ResultStatus.SUCCESS, reason=None, message=None):
    header = messages.ResponseHeader(protocol_version=version(v), time_stamp=contents.TimeStamp(NOW),
                                     batch_count=contents.BatchCount(1))
    item = messages.ResponseBatchItem(
        operation=contents.Operation(op) if op is not None else None,
        result_status=contents.ResultStatus(status),
        result_reason=contents.ResultReason(reason) if reason is not None else None,
        result_message=contents.ResultMessage(message) if message is not None else None,
        response_payload=payload)
    write(name, messages.ResponseMessage(response_header=header, batch_items=[item]), v)


def write(name, message, v):
    stream = utils.BytearrayStream()
    message.write(stream, kmip_version=v)
    with open(os.path.join(out_dir, name + ".hex"), "w") as f:
        f.write(stream.buffer.hex() + "\n")


def gcm():
    return attributes.CryptographicParameters(
        block_cipher_mode=enums.BlockCipherMode.GCM,
        cryptographic_algorithm=enums.CryptographicAlgorithm.AES,
        tag_length=16)


O = enums.Operation
AUTH = credential("partition-a", "part-a-pin-1")

# Requests, as Strongroom's client sends them (every one carries the partition credential) or plain.
request("activate-1.4-request", O.ACTIVATE, payloads.ActivateRequestPayload(
    unique_identifier=attributes.UniqueIdentifier(UID)), auth=AUTH)
request("get-attributes-1.4-request", O.GET_ATTRIBUTES, payloads.GetAttributesRequestPayload(
    unique_identifier=UID, attribute_names=["State", "Cryptographic Usage Mask"]), auth=AUTH)
request("get-attributes-2.0-request", O.GET_ATTRIBUTES, payloads.GetAttributesRequestPayload(
    unique_identifier=UID, attribute_names=["State", "Cryptographic Usage Mask"]), v=V20)
request("locate-1.4-request", O.LOCATE, payloads.LocateRequestPayload(
    attributes=[A.create_attribute(enums.AttributeType.NAME, "cek-golden")]), auth=AUTH)
request("encrypt-1.4-credential-request", O.ENCRYPT, payloads.EncryptRequestPayload(
    unique_identifier=UID, cryptographic_parameters=gcm(), data=DATA, iv_counter_nonce=IV,
    auth_additional_data=AAD), auth=AUTH)
request("decrypt-1.4-request", O.DECRYPT, payloads.DecryptRequestPayload(
    unique_identifier=UID, cryptographic_parameters=gcm(), data=DATA, iv_counter_nonce=IV,
    auth_additional_data=AAD, auth_tag=TAG), auth=AUTH)
request("revoke-1.4-request", O.REVOKE, payloads.RevokeRequestPayload(
    unique_identifier=attributes.UniqueIdentifier(UID),
    revocation_reason=objects.RevocationReason(code=enums.RevocationReasonCode.CESSATION_OF_OPERATION)),
    auth=AUTH)
request("destroy-1.4-request", O.DESTROY, payloads.DestroyRequestPayload(
    unique_identifier=attributes.UniqueIdentifier(UID)), auth=AUTH)
request("discover-versions-1.4-request", O.DISCOVER_VERSIONS, payloads.DiscoverVersionsRequestPayload(
    protocol_versions=[]))
request("discover-versions-list-1.4-request", O.DISCOVER_VERSIONS, payloads.DiscoverVersionsRequestPayload(
    protocol_versions=[contents.ProtocolVersion(1, 4), contents.ProtocolVersion(1, 2)]))
request("get-1.4-request", O.GET, payloads.GetRequestPayload(unique_identifier=UID), auth=AUTH)
request("query-1.4-request", O.QUERY, payloads.QueryRequestPayload(
    query_functions=[enums.QueryFunction.QUERY_OPERATIONS, enums.QueryFunction.QUERY_OBJECTS]))

# Responses, as the gateway answers them or the client reads them.
response("activate-1.4-response", O.ACTIVATE, payloads.ActivateResponsePayload(
    unique_identifier=attributes.UniqueIdentifier(UID)))
response("get-attributes-1.4-response", O.GET_ATTRIBUTES, payloads.GetAttributesResponsePayload(
    unique_identifier=UID, attributes=[
        A.create_attribute(enums.AttributeType.STATE, enums.State.ACTIVE),
        A.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
                           [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT])]))
response("get-attributes-2.0-response", O.GET_ATTRIBUTES, payloads.GetAttributesResponsePayload(
    unique_identifier=UID, attributes=[
        A.create_attribute(enums.AttributeType.STATE, enums.State.ACTIVE),
        A.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
                           [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT])]), v=V20)
response("locate-1.4-response", O.LOCATE, payloads.LocateResponsePayload(unique_identifiers=["8", "9"]))
response("encrypt-1.4-response", O.ENCRYPT, payloads.EncryptResponsePayload(
    unique_identifier=UID, data=DATA, auth_tag=TAG))
response("decrypt-1.4-response", O.DECRYPT, payloads.DecryptResponsePayload(unique_identifier=UID, data=DATA))
response("revoke-1.4-response", O.REVOKE, payloads.RevokeResponsePayload(
    unique_identifier=attributes.UniqueIdentifier(UID)))
response("destroy-1.4-response", O.DESTROY, payloads.DestroyResponsePayload(
    unique_identifier=attributes.UniqueIdentifier(UID)))
response("discover-versions-1.4-response", O.DISCOVER_VERSIONS, payloads.DiscoverVersionsResponsePayload(
    protocol_versions=[contents.ProtocolVersion(2, 0), contents.ProtocolVersion(1, 4),
                       contents.ProtocolVersion(1, 3), contents.ProtocolVersion(1, 2)]))
response("query-1.4-response", O.QUERY, payloads.QueryResponsePayload(
    operations=[O.CREATE, O.ACTIVATE], object_types=[enums.ObjectType.SYMMETRIC_KEY],
    vendor_identification="Strongroom"))
# Failures: Get on a sensitive key (what the gateway answers), and a message that could not be parsed (PyKMIP's
# own answer: version, no Operation, Invalid Message).
response("get-sensitive-1.4-response", O.GET, None, status=enums.ResultStatus.OPERATION_FAILED,
         reason=enums.ResultReason.SENSITIVE, message="key 8 is sensitive: its material never leaves the HSM")
response("invalid-message-1.4-response", None, None, status=enums.ResultStatus.OPERATION_FAILED,
         reason=enums.ResultReason.INVALID_MESSAGE, message="Error parsing request message.")
