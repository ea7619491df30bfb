package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.ClusterParameterGroupStatus;
import software.amazon.awssdk.services.redshift.model.Parameter;
import software.amazon.awssdk.services.redshift.model.RedshiftException;

/**
 * Cluster parameter groups through the SDK: the default group (require_ssl=true, not changeable), a group of the
 * user's, its parameters by source, changes refused with the API's errors, a cluster in a group (pending-reboot until
 * a reboot applies a change), deletion refused while in use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParameterGroupsSdkIT {
    ControlFixture f;
    RedshiftClient rs;

    @BeforeAll
    void start() throws Exception {
        f = new ControlFixture();
        rs = f.redshift(f.admin);
    }

    @AfterAll
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static String code(Throwable e) {
        return ((RedshiftException) e).awsErrorDetails().errorCode();
    }

    private ClusterParameterGroupStatus groupOf(String cluster) {
        return rs.describeClusters(r -> r.clusterIdentifier(cluster))
                .clusters()
                .get(0)
                .clusterParameterGroups()
                .get(0);
    }

    @Test
    void parameterGroups_defaultsUserGroupsAndClusters() {
        assertThat(rs.describeClusterParameterGroups().parameterGroups())
                .extracting(g -> g.parameterGroupName())
                .contains("default.redshift-1.0");
        assertThat(rs.describeClusterParameters(r -> r.parameterGroupName("default.redshift-1.0"))
                        .parameters())
                .extracting(p -> p.parameterName() + "=" + p.parameterValue())
                .containsExactly("auth_methods=digest-scram", "kms_lease_minutes=1440", "require_ssl=true");
        assertThat(rs.describeClusterParameters(r -> r.parameterGroupName("default.redshift-1.0")).parameters().stream()
                        .filter(p -> p.parameterName().equals("require_ssl")))
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.parameterName()).isEqualTo("require_ssl");
                    assertThat(p.parameterValue()).isEqualTo("true");
                    assertThat(p.source()).isEqualTo("engine-default");
                    assertThat(p.applyType().toString()).isEqualTo("static");
                });
        assertThatThrownBy(() -> rs.modifyClusterParameterGroup(r -> r.parameterGroupName("default.redshift-1.0")
                        .parameters(Parameter.builder()
                                .parameterName("require_ssl")
                                .parameterValue("false")
                                .build())))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidClusterParameterGroupState"));

        rs.createClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                .parameterGroupFamily("redshift-1.0")
                .description("mine"));
        assertThatThrownBy(() -> rs.createClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                        .parameterGroupFamily("redshift-1.0")
                        .description("again")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("ClusterParameterGroupAlreadyExists"));
        assertThatThrownBy(() -> rs.createClusterParameterGroup(r -> r.parameterGroupName("pg-two")
                        .parameterGroupFamily("postgres15")
                        .description("wrong family")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> rs.modifyClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                        .parameters(Parameter.builder()
                                .parameterName("statement_timeout")
                                .parameterValue("1000")
                                .build())))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("require_ssl");
        assertThatThrownBy(() -> rs.modifyClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                        .parameters(Parameter.builder()
                                .parameterName("require_ssl")
                                .parameterValue("maybe")
                                .build())))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> rs.modifyClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                        .parameters(Parameter.builder()
                                .parameterName("auth_methods")
                                .parameterValue("password")
                                .build())))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("digest-scram,digest-md5,md5,scram");
        assertThat(rs.modifyClusterParameterGroup(r -> r.parameterGroupName("pg-one")
                                .parameters(Parameter.builder()
                                        .parameterName("require_ssl")
                                        .parameterValue("false")
                                        .build()))
                        .parameterGroupStatus())
                .contains("reboot");
        assertThat(rs.describeClusterParameters(
                                r -> r.parameterGroupName("pg-one").source("user"))
                        .parameters())
                .singleElement()
                .satisfies(p -> assertThat(p.parameterValue()).isEqualTo("false"));

        assertThatThrownBy(() -> rs.createCluster(r -> r.clusterIdentifier("pg-none")
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword("Passw0rdX")
                        .clusterParameterGroupName("no-such-group")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("ClusterParameterGroupNotFound"));
        rs.createCluster(r -> r.clusterIdentifier("pg1")
                .nodeType("ra3.xlplus")
                .numberOfNodes(2)
                .masterUsername("admin1")
                .masterUserPassword("Passw0rdX")
                .clusterParameterGroupName("pg-one"));
        assertThat(groupOf("pg1").parameterGroupName()).isEqualTo("pg-one");
        assertThat(groupOf("pg1").parameterApplyStatus()).isEqualTo("in-sync");

        // A change to the group applies at the cluster's next reboot; until then it is pending.
        rs.resetClusterParameterGroup(r -> r.parameterGroupName("pg-one").resetAllParameters(true));
        assertThat(groupOf("pg1").parameterApplyStatus()).isEqualTo("pending-reboot");
        rs.rebootCluster(r -> r.clusterIdentifier("pg1"));
        assertThat(groupOf("pg1").parameterApplyStatus()).isEqualTo("in-sync");

        assertThatThrownBy(() -> rs.deleteClusterParameterGroup(r -> r.parameterGroupName("pg-one")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidClusterParameterGroupState"));
        rs.modifyCluster(r -> r.clusterIdentifier("pg1").clusterParameterGroupName("default.redshift-1.0"));
        rs.deleteClusterParameterGroup(r -> r.parameterGroupName("pg-one"));
        assertThatThrownBy(() -> rs.describeClusterParameterGroups(r -> r.parameterGroupName("pg-one")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("ClusterParameterGroupNotFound"));
        // Kept across a restart.
        rs.createClusterParameterGroup(r -> r.parameterGroupName("pg-kept")
                .parameterGroupFamily("redshift-1.0")
                .description("kept"));
        f.restartControl();
        rs = f.redshift(f.admin);
        assertThat(rs.describeClusterParameterGroups(r -> r.parameterGroupName("pg-kept"))
                        .parameterGroups())
                .hasSize(1);
    }
}
