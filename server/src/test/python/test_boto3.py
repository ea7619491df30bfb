"""boto3 against the Redshift and KMS APIs: tags (CreateTags, DescribeTags, DeleteTags, DescribeClusters by tag),
PauseCluster and ResumeCluster (SQL refused while paused, the data there after), GetClusterCredentials and a
psycopg login with the credentials it issues, and the KMS validation errors AWS answers."""

import psycopg
import pytest
from botocore.exceptions import ClientError

from conftest import CA, REGION, wait_for_status


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def cluster_arn(cluster):
    """The cluster's ARN, with the account read off its namespace ARN."""
    account = cluster.arn.split(":")[4]
    return f"arn:aws:redshift:{REGION}:{account}:cluster:{cluster.identifier}"


def test_tags_create_describe_filter_delete(redshift, cluster):
    arn = cluster_arn(cluster)
    redshift.create_tags(ResourceName=arn, Tags=[{"Key": "team", "Value": "py"}, {"Key": "env", "Value": "test"}])
    tagged = redshift.describe_tags(ResourceName=arn)["TaggedResources"]
    assert {(t["Tag"]["Key"], t["Tag"]["Value"]) for t in tagged} == {("team", "py"), ("env", "test")}
    assert {t["ResourceType"] for t in tagged} == {"cluster"}
    found = redshift.describe_clusters(TagKeys=["team"], TagValues=["py"])["Clusters"]
    assert [c["ClusterIdentifier"] for c in found] == [cluster.identifier]
    assert redshift.describe_clusters(TagKeys=["team"], TagValues=["nobody"])["Clusters"] == []
    redshift.delete_tags(ResourceName=arn, TagKeys=["team"])
    left = redshift.describe_tags(ResourceName=arn)["TaggedResources"]
    assert [(t["Tag"]["Key"], t["Tag"]["Value"]) for t in left] == [("env", "test")]
    with pytest.raises(ClientError) as e:
        redshift.create_tags(ResourceName=arn, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert error_code(e) == "InvalidTagFault"


def test_pause_refuses_sql_and_resume_brings_the_data_back(redshift, cluster):
    with cluster.connect() as conn:
        conn.execute("CREATE TABLE kept (id BIGINT)")
        conn.execute("INSERT INTO kept VALUES (1), (2), (3)")
        conn.commit()
    redshift.pause_cluster(ClusterIdentifier=cluster.identifier)
    wait_for_status(redshift, cluster.identifier, "paused")
    with pytest.raises(psycopg.OperationalError):
        cluster.connect()
    redshift.resume_cluster(ClusterIdentifier=cluster.identifier)
    wait_for_status(redshift, cluster.identifier, "available")
    with cluster.connect() as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (3,)


def test_get_cluster_credentials_then_a_verified_psycopg_login(redshift, cluster):
    issued = redshift.get_cluster_credentials(
        ClusterIdentifier=cluster.identifier, DbUser="admin", DurationSeconds=900
    )
    assert issued["DbUser"] == "IAM:admin"
    assert issued["Expiration"].tzinfo is not None
    with cluster.connect(user=issued["DbUser"], password=issued["DbPassword"]) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        cluster.connect(user=issued["DbUser"], password=issued["DbPassword"] + "x")
    with pytest.raises(ClientError) as e:
        redshift.get_cluster_credentials(ClusterIdentifier=cluster.identifier, DbUser="admin", DurationSeconds=60)
    assert error_code(e) == "InvalidParameterValue"
    # What cannot be done here is refused, saying so, never ignored.
    with pytest.raises(ClientError) as e:
        redshift.get_cluster_credentials(ClusterIdentifier=cluster.identifier, DbUser="bob", AutoCreate=True)
    assert error_code(e) == "UnsupportedOperation"
    assert "AutoCreate cannot create database user 'bob'" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        redshift.get_cluster_credentials(ClusterIdentifier=cluster.identifier, DbUser="admin", DbGroups=["analysts"])
    assert error_code(e) == "UnsupportedOperation"
    # DbName limits the credential to that database.
    limited = redshift.get_cluster_credentials(
        ClusterIdentifier=cluster.identifier, DbUser="admin", AutoCreate=True, DbName="dev"
    )
    with cluster.connect(user=limited["DbUser"], password=limited["DbPassword"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=cluster.host, port=cluster.port, dbname="other", user=limited["DbUser"],
            password=limited["DbPassword"], sslmode="verify-full", sslrootcert=CA,
        )


def test_kms_validation_errors(kms):
    key_id = kms.create_key(Description="py validation")["KeyMetadata"]["KeyId"]
    # ':' passes the API model's pattern (and so boto3), and the service refuses it as AWS does.
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/my:alias", TargetKeyId=key_id)
    assert error_code(e) == "ValidationException"
    assert e.value.response["Error"]["Message"] == "alias/my:alias contains invalid characters for an alias"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/has space", TargetKeyId=key_id)
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id)
    assert error_code(e) == "InvalidAliasNameException"
    kms.create_alias(AliasName="alias/py-ok_1/x", TargetKeyId=key_id)
    # An enum value outside the model's list.
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="AES_999")
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_999")
    assert error_code(e) == "ValidationException"
    # RotateKeyOnDemand answers the key id (GetKeyRotationStatus the ARN).
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id
