"""Fixtures of the Python client tests that PythonClientsIT runs (see that class).

The IT passes the Strongroom endpoint (Redshift and KMS APIs on one URL), an admin access key, the installation's
CA certificate (what `strongroom ca` prints) and another CA nobody should trust, in STRONGROOM_* variables. Every
test module gets its own cluster, made through the Redshift API and deleted at the end; SQL connections verify the
cluster's certificate against the CA (sslmode=verify-full), as the README tells users to.
"""

import os
import time

import boto3
import psycopg
import pytest
from botocore.config import Config

ENDPOINT = os.environ["STRONGROOM_ENDPOINT"]
CA = os.environ["STRONGROOM_CA"]
OTHER_CA = os.environ["STRONGROOM_OTHER_CA"]
REGION = "us-east-1"
MASTER_USER = "admin"
PASSWORD = "Passw0rdX"


def aws(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=os.environ["STRONGROOM_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["STRONGROOM_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="session")
def redshift():
    return aws("redshift")


@pytest.fixture(scope="session")
def kms():
    return aws("kms")


def describe(redshift, identifier):
    return redshift.describe_clusters(ClusterIdentifier=identifier)["Clusters"][0]


def wait_for_status(redshift, identifier, status, seconds=120):
    """Polls DescribeClusters until the cluster has `status` (the API answers at once; jobs finish behind it)."""
    deadline = time.monotonic() + seconds
    while True:
        cluster = describe(redshift, identifier)
        if cluster["ClusterStatus"] == status:
            return cluster
        if time.monotonic() > deadline:
            raise AssertionError(
                f"cluster {identifier} is {cluster['ClusterStatus']}, not {status}, after {seconds} s"
            )
        time.sleep(0.2)


class Cluster:
    """A cluster a test module made: its identifier, ARN and SQL endpoint."""

    def __init__(self, description):
        self.identifier = description["ClusterIdentifier"]
        self.arn = description.get("ClusterNamespaceArn")
        self.host = description["Endpoint"]["Address"]
        self.port = description["Endpoint"]["Port"]

    def connect(self, user=MASTER_USER, password=PASSWORD, **kwargs):
        """psycopg 3, verifying the certificate and the host name against the installation's CA."""
        options = {"sslmode": "verify-full", "sslrootcert": CA, "connect_timeout": 10}
        options.update(kwargs)
        return psycopg.connect(
            host=self.host, port=self.port, dbname="dev", user=user, password=password, **options
        )


@pytest.fixture(scope="module")
def cluster(redshift, request):
    identifier = "py-" + request.module.__name__.removeprefix("test_").replace("_", "-")
    redshift.create_cluster(
        ClusterIdentifier=identifier,
        NodeType="ra3.xlplus",
        NumberOfNodes=2,
        MasterUsername=MASTER_USER,
        MasterUserPassword=PASSWORD,
        Encrypted=True,
    )
    yield Cluster(wait_for_status(redshift, identifier, "available"))
    redshift.delete_cluster(ClusterIdentifier=identifier, SkipFinalClusterSnapshot=True)
