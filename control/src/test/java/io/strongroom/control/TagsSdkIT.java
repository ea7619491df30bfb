package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;
import software.amazon.awssdk.services.redshift.model.RedshiftException;
import software.amazon.awssdk.services.redshift.model.Tag;
import software.amazon.awssdk.services.redshift.model.TaggedResource;

/**
 * The tags API through the SDK: CreateTags, DescribeTags (by resource, key and value), DeleteTags, and
 * DescribeClusters filtered by TagKeys and TagValues (it returned every cluster before); unknown resources and
 * snapshot tags answer clear errors; EnhancedVpcRouting=true is refused rather than silently answered false.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TagsSdkIT {
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

    private String create(String id, Tag... tags) {
        return rs.createCluster(r -> r.clusterIdentifier(id)
                        .nodeType("ra3.xlplus")
                        .numberOfNodes(2)
                        .masterUsername("admin1")
                        .masterUserPassword("Passw0rdX")
                        .tags(tags))
                .cluster()
                .clusterNamespaceArn();
    }

    private static Tag tag(String k, String v) {
        return Tag.builder().key(k).value(v).build();
    }

    private List<String> ids(List<Cluster> cs) {
        return cs.stream().map(Cluster::clusterIdentifier).sorted().toList();
    }

    @Test
    void tags_canBeAddedListedFilteredAndRemoved() {
        create("tg1", tag("env", "prod"));
        create("tg2", tag("env", "dev"), tag("team", "bi"));
        create("tg3");
        String arn1 = "arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":cluster:tg1";
        String arn3 = "arn:aws:redshift:us-east-1:" + f.admin.accountId() + ":cluster:tg3";

        assertThat(ids(rs.describeClusters(r -> r.tagKeys("env")).clusters())).containsExactly("tg1", "tg2");
        assertThat(ids(rs.describeClusters(r -> r.tagValues("prod")).clusters()))
                .containsExactly("tg1");
        assertThat(ids(rs.describeClusters(r -> r.tagKeys("team").tagValues("bi"))
                        .clusters()))
                .containsExactly("tg2");
        assertThat(ids(rs.describeClusters(r -> r.tagKeys("nope")).clusters())).isEmpty();

        rs.createTags(r -> r.resourceName(arn3).tags(tag("env", "test"), tag("owner", "ana")));
        assertThat(ids(rs.describeClusters(r -> r.tagKeys("env")).clusters())).containsExactly("tg1", "tg2", "tg3");
        List<TaggedResource> owner = rs.describeTags(r -> r.tagKeys("owner")).taggedResources();
        assertThat(owner).singleElement().satisfies(t -> {
            assertThat(t.resourceName()).isEqualTo(arn3);
            assertThat(t.resourceType()).isEqualTo("cluster");
            assertThat(t.tag().value()).isEqualTo("ana");
        });
        assertThat(rs.describeTags(r -> r.resourceName(arn1)).taggedResources())
                .extracting(t -> t.tag().key() + "=" + t.tag().value())
                .containsExactly("env=prod");

        rs.deleteTags(r -> r.resourceName(arn3).tagKeys("owner"));
        assertThat(rs.describeTags(r -> r.tagKeys("owner")).taggedResources()).isEmpty();
        assertThat(rs.describeClusters(r -> r.clusterIdentifier("tg3"))
                        .clusters()
                        .get(0)
                        .tags())
                .extracting(Tag::key)
                .containsExactly("env");

        assertThatThrownBy(() -> rs.createTags(
                        r -> r.resourceName(arn1.replace("tg1", "tg9")).tags(tag("a", "b"))))
                .isInstanceOf(RedshiftException.class)
                .satisfies(e -> assertThat(
                                ((RedshiftException) e).awsErrorDetails().errorCode())
                        .isEqualTo("ResourceNotFoundFault"));
        // What does not apply is refused, not dropped.
        assertThatThrownBy(
                        () -> rs.modifyCluster(r -> r.clusterIdentifier("tg1").enhancedVpcRouting(true)))
                .isInstanceOf(RedshiftException.class)
                .satisfies(e -> assertThat(
                                ((RedshiftException) e).awsErrorDetails().errorCode())
                        .isEqualTo("UnsupportedOperation"))
                .hasMessageContaining("no VPC");
        assertThatThrownBy(() -> rs.createTags(r -> r.resourceName(arn1).tags(tag("aws:x", "b"))))
                .isInstanceOf(RedshiftException.class)
                .satisfies(e -> assertThat(
                                ((RedshiftException) e).awsErrorDetails().errorCode())
                        .isEqualTo("InvalidTagFault"));
    }
}
