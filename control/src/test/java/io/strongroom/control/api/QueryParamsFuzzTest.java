package io.strongroom.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.testkit.fuzz.Fuzz;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz target for the Redshift API's form parser (docs/security.md, "Fuzzing"): any request body through {@link
 * QueryParams#parse} and every typed getter the API calls (integers, booleans, timestamps, list members, tags)
 * answers a value or a {@link RedshiftApiException}, nothing else; the values it read, form-encoded again, parse to
 * the same values. Seeds: {@code src/test/resources/fuzz/redshift-form}, bodies as the AWS CLI and SDK send them
 * ({@link #writeCorpus}).
 */
class QueryParamsFuzzTest {
    /** Names the seeds use, read through every getter whatever their type. */
    private static final List<String> NAMES = List.of(
            "Action",
            "Version",
            "ClusterIdentifier",
            "NumberOfNodes",
            "ManualSnapshotRetentionPeriod",
            "StartTime",
            "EndTime",
            "Classic",
            "SkipFinalClusterSnapshot",
            "Encrypted",
            "KmsKeyId",
            "MasterUserPassword");

    private static final List<String> LISTS = List.of("TagKeys.TagKey", "TagValues.TagValue", "ClusterIdentifiers");

    @Test
    void parse_andEveryGetter_answerOrThrowTyped_andValuesRoundTrip() {
        Fuzz.run(
                "control.redshift-form",
                3000,
                Fuzz.texts(Fuzz.textCorpus(getClass(), "redshift-form"), 8192),
                QueryParamsFuzzTest::check);
    }

    private static void check(String form) {
        Fuzz.decodes(() -> read(form), RedshiftApiException.class)
                .ifPresent(values -> assertThat(read(encode(values)))
                        .as("the values read, form-encoded again, read the same")
                        .isEqualTo(values));
    }

    /** Parses {@code form} and reads it through every getter, keeping what {@link QueryParams#get} answers. */
    private static Map<String, String> read(String form) {
        QueryParams p = QueryParams.parse(form);
        Map<String, String> values = new TreeMap<>();
        for (String name : NAMES) {
            typed(() -> p.integer(name));
            typed(() -> p.bool(name));
            typed(() -> p.timestamp(name));
            typed(() -> p.required(name));
            String v = p.get(name);
            assertThat(p.has(name)).isEqualTo(v != null);
            if (v != null) {
                values.put(name, v);
            }
        }
        for (String list : LISTS) {
            List<String> members = p.members(list);
            for (int i = 0; i < members.size(); i++) {
                values.put(list + "." + (i + 1), members.get(i));
            }
        }
        typed(p::tags).ifPresent(tags -> {
            int i = 1;
            for (Map.Entry<String, String> t : tags.entrySet()) {
                values.put("Tags.Tag." + i + ".Key", t.getKey());
                values.put("Tags.Tag." + i + ".Value", t.getValue());
                i++;
            }
        });
        return values;
    }

    /** A getter's own failures are typed too; a getter that fails does not end the reading of the others. */
    private static <T> Optional<T> typed(Supplier<T> getter) {
        try {
            return Optional.ofNullable(getter.get());
        } catch (RedshiftApiException e) {
            return Optional.empty();
        }
    }

    private static String encode(Map<String, String> values) {
        StringJoiner form = new StringJoiner("&");
        values.forEach((k, v) -> form.add(
                URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return form.toString();
    }

    @Test
    void corpus_everySeedHoldsItsProperty() {
        for (String seed : Fuzz.textCorpus(getClass(), "redshift-form")) {
            check(seed);
        }
    }

    /** Regenerates the seed files: {@code mvn -pl control test -Dtest=QueryParamsFuzzTest -Dstrongroom.fuzz.writeCorpus=true}. */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() {
        List<String> seeds = new ArrayList<>(List.of(
                "Action=CreateCluster&Version=2012-12-01&ClusterIdentifier=analytics-1&NodeType=ra3.xlplus"
                        + "&NumberOfNodes=2&MasterUsername=admin&MasterUserPassword=Secret%2Bpass1"
                        + "&Encrypted=true&KmsKeyId=alias%2Fwarehouse"
                        + "&Tags.Tag.1.Key=team&Tags.Tag.1.Value=data&Tags.Tag.2.Key=env&Tags.Tag.2.Value=prod",
                "Action=DescribeClusterSnapshots&Version=2012-12-01&ClusterIdentifier=analytics-1"
                        + "&StartTime=2026-01-01T00%3A00%3A00Z&EndTime=1767225600&SnapshotType=manual",
                "Action=DeleteTags&Version=2012-12-01&ResourceName=arn%3Aaws%3Aredshift%3Aus-east-1%3A111122223333"
                        + "%3Acluster%3Aanalytics-1&TagKeys.TagKey.1=team&TagKeys.TagKey.2=env",
                "Action=DescribeTags&Version=2012-12-01&TagKeys.TagKey.1=team&TagValues.TagValue.1=data"
                        + "&TagValues.TagValue.2=",
                "Action=DeleteCluster&Version=2012-12-01&ClusterIdentifier=analytics-1"
                        + "&SkipFinalClusterSnapshot=false&FinalClusterSnapshotIdentifier=final-1"
                        + "&FinalClusterSnapshotRetentionPeriod=-1",
                "Action=ResizeCluster&Version=2012-12-01&ClusterIdentifier=analytics-1&NumberOfNodes=4&Classic=true",
                "Action=DescribeClusters&Version=2012-12-01&ClusterIdentifiers=",
                // Found by this target: epoch seconds beyond Instant's range threw DateTimeException.
                "Action=DescribeClusterSnapshots&Version=2012-12-01&ClusterIdentifier=analytics-1"
                        + "&StartTime=2026-01-01T00%3A00%3A00Z&EndTime=176722561767225600&SnapshotType=manual"));
        for (int i = 0; i < seeds.size() - 1; i++) {
            Fuzz.writeSeed("redshift-form", "seed-" + i + ".txt", seeds.get(i).getBytes(StandardCharsets.UTF_8));
        }
        Fuzz.writeSeed(
                "redshift-form",
                "regression-epoch-seconds-beyond-instant.txt",
                seeds.getLast().getBytes(StandardCharsets.UTF_8));
    }
}
