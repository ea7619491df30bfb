package io.strongroom.control.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A job's durable record ({@code control/jobs/<id>.json}, docs/control/README.md "Jobs"): what it is, whose, on
 * what, the last step it made durable, and how it ended.
 *
 * <p>Invariants: {@code step} only moves forward, and is written before the work it names is relied on; {@code
 * endedAt} and {@code message} are set once the state is no longer {@link JobState#RUNNING}. {@code attributes}
 * hold what a resume needs (identifiers, grant ids, the planned cluster record), never key material or a password.
 * Immutable.
 *
 * @param subject the identifier the user named (cluster or snapshot), for messages and listings
 * @param clusterId the internal id of the cluster it runs on or makes, or "" for none
 */
public record JobRecord(
        String id,
        JobKind kind,
        String accountId,
        String region,
        String subject,
        String clusterId,
        JobState state,
        String step,
        Instant createdAt,
        @Nullable Instant endedAt,
        @Nullable String message,
        Map<String, String> attributes) {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public JobRecord {
        attributes = Map.copyOf(attributes);
    }

    /** A new running job at step {@code accepted}. */
    public static JobRecord start(
            String id,
            JobKind kind,
            String accountId,
            String region,
            String subject,
            String clusterId,
            Instant now,
            Map<String, String> attributes) {
        return new JobRecord(
                id,
                kind,
                accountId,
                region,
                subject,
                clusterId,
                JobState.RUNNING,
                "accepted",
                now,
                null,
                null,
                attributes);
    }

    public @Nullable String attribute(String name) {
        return attributes.get(name);
    }

    /** This record at step {@code next}, with {@code more} attributes added (or replaced). */
    public JobRecord withStep(String next, Map<String, String> more) {
        Map<String, String> a = new LinkedHashMap<>(attributes);
        a.putAll(more);
        return new JobRecord(
                id, kind, accountId, region, subject, clusterId, state, next, createdAt, endedAt, message, a);
    }

    /** This record ended in {@code end} at {@code now}, with {@code why}. */
    public JobRecord ended(JobState end, Instant now, String why) {
        return new JobRecord(
                id, kind, accountId, region, subject, clusterId, end, step, createdAt, now, why, attributes);
    }

    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("formatVersion", FORMAT_VERSION)
                .put("id", id)
                .put("kind", kind.wireName())
                .put("accountId", accountId)
                .put("region", region)
                .put("subject", subject)
                .put("clusterId", clusterId)
                .put("state", state.wireName())
                .put("step", step)
                .put("createdAt", createdAt.toString())
                .put("endedAt", endedAt == null ? null : endedAt.toString())
                .put("message", message);
        ObjectNode a = n.putObject("attributes");
        attributes.forEach(a::put);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode job record " + id, e);
        }
    }

    public static JobRecord fromJson(byte[] data, String place) {
        JsonNode n;
        try {
            n = JSON.readTree(data);
        } catch (IOException e) {
            throw corrupt(place, "is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw corrupt(place, "is not a JSON object");
        }
        int v = n.path("formatVersion").asInt(-1);
        if (v != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    "job record " + place + " has format version " + v + "; this build reads " + FORMAT_VERSION);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        n.path("attributes")
                .properties()
                .forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
        String kind = req(n, "kind", place);
        String state = req(n, "state", place);
        try {
            return new JobRecord(
                    req(n, "id", place),
                    JobKind.of(kind).orElseThrow(() -> corrupt(place, "names unknown kind " + kind)),
                    req(n, "accountId", place),
                    req(n, "region", place),
                    req(n, "subject", place),
                    n.path("clusterId").asText(""),
                    JobState.of(state).orElseThrow(() -> corrupt(place, "names unknown state " + state)),
                    req(n, "step", place),
                    Instant.parse(req(n, "createdAt", place)),
                    n.hasNonNull("endedAt") ? Instant.parse(n.get("endedAt").asText()) : null,
                    n.hasNonNull("message") ? n.get("message").asText() : null,
                    attributes);
        } catch (DateTimeParseException e) {
            throw corrupt(place, "has a bad time: " + e.getParsedString());
        }
    }

    private static String req(JsonNode n, String field, String place) {
        JsonNode f = n.get(field);
        if (f == null || !f.isTextual()) {
            throw corrupt(place, "lacks " + field);
        }
        return f.asText();
    }

    private static StrongroomException corrupt(String place, String what) {
        return new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "job record " + place + " " + what);
    }

    @Override
    public String toString() {
        return kind.wireName() + " job " + id + " on " + subject + " (" + state.wireName() + ", step " + step + ")";
    }
}
