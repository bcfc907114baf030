"""An outsider's Python grpcio client of the local stack's policy-authority.

Run with the stubs generated from proto/ by grpc_tools.protoc on PYTHONPATH and the stack's
stack.env in the environment (DUET_TLS_CA, POLICY_AUTHORITY_ADDRESS). Prints one JSON object a
line, each naming a check: what a Python user of the stack would see.
"""
import json
import os

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duet.policy.v1 import policy_pb2, policy_pb2_grpc

ADDRESS = os.environ["POLICY_AUTHORITY_ADDRESS"]
DEADLINE_SECONDS = 10
# The stack's certificate names 127.0.0.1 and localhost.
OPTIONS = [("grpc.ssl_target_name_override", "localhost")]


def report(check, **fields):
    print(json.dumps({"check": check, **fields}), flush=True)


def refusal(error):
    return {"code": error.code().name, "details": (error.details() or "")[:600]}


with open(os.environ["DUET_TLS_CA"], "rb") as ca:
    trusted = grpc.ssl_channel_credentials(root_certificates=ca.read())

with grpc.secure_channel(ADDRESS, trusted, options=OPTIONS) as channel:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=DEADLINE_SECONDS)
    report("health", status=health_pb2.HealthCheckResponse.ServingStatus.Name(health.status))
    try:
        policy_pb2_grpc.PolicyServiceStub(channel).Enroll(
            policy_pb2.EnrollRequest(run_id="run\0id", enrollment_token="whatever", handset_id=8, model="optimus-2x", group="sales"),
            timeout=DEADLINE_SECONDS,
        )
        report("hostile", code="OK", details="")
    except grpc.RpcError as error:
        report("hostile", **refusal(error))

# Trusting only the system's CAs: the stack's certificate does not verify.
with grpc.secure_channel(ADDRESS, grpc.ssl_channel_credentials(), options=OPTIONS) as channel:
    try:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=DEADLINE_SECONDS)
        report("untrusted", code="OK", details="")
    except grpc.RpcError as error:
        report("untrusted", **refusal(error))
