package io.strongroom.control.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The events DescribeEvents answers: kept in memory and appended to {@code events.jsonl} (one JSON object per
 * line) so they survive a restart. Events older than {@link #RETENTION} are not loaded back. A torn last line
 * (a crash mid-append) is skipped. Thread-safe.
 */
public final class EventLog implements AutoCloseable {
    public static final Duration RETENTION = Duration.ofDays(14);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final List<ClusterEvent> events = new ArrayList<>();

    private EventLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    static EventLog open(Path file, Instant now) {
        try {
            Files.createDirectories(file.getParent());
            EventLog log = new EventLog(
                    file,
                    FileChannel.open(
                            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
            // Read leniently: a crash can leave the last line torn (even mid-character); it is skipped, and a
            // newline is added so the next event does not run into it.
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                log.channel.write(ByteBuffer.wrap(new byte[] {'\n'}));
                log.channel.force(false);
            }
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                ClusterEvent e = parse(line);
                if (e != null && e.date().isAfter(now.minus(RETENTION))) {
                    log.events.add(e);
                }
            }
            return log;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot open event log " + file + ": " + e, e);
        }
    }

    public synchronized void add(ClusterEvent e) {
        events.add(e);
        ObjectNode n = JSON.createObjectNode()
                .put("accountId", e.accountId())
                .put("region", e.region())
                .put("sourceIdentifier", e.sourceIdentifier())
                .put("sourceType", e.sourceType())
                .put("message", e.message())
                .put("severity", e.severity())
                .put("date", e.date().toString())
                .put("eventId", e.eventId());
        ArrayNode c = n.putArray("categories");
        e.categories().forEach(c::add);
        try {
            byte[] line = (JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                channel.write(b);
            }
            // Events are few (one per lifecycle or security step) and some are the only record of a failure
            // (a key the cluster could not load, a grant that could not be retired): make each one durable.
            channel.force(false);
        } catch (IOException ex) {
            // The event stays visible in memory; losing its durable copy must not fail the operation it describes.
        }
    }

    /** Events of {@code accountId}/{@code region} in [from, to], optionally of one source, oldest first. */
    public synchronized List<ClusterEvent> query(
            String accountId,
            String region,
            @Nullable String sourceIdentifier,
            @Nullable String sourceType,
            Instant from,
            Instant to) {
        List<ClusterEvent> out = new ArrayList<>();
        for (ClusterEvent e : events) {
            if (e.accountId().equals(accountId)
                    && e.region().equals(region)
                    && (sourceIdentifier == null || e.sourceIdentifier().equals(sourceIdentifier))
                    && (sourceType == null || e.sourceType().equals(sourceType))
                    && !e.date().isBefore(from)
                    && !e.date().isAfter(to)) {
                out.add(e);
            }
        }
        return out;
    }

    private static @Nullable ClusterEvent parse(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            if (n == null || !n.isObject()) {
                return null;
            }
            List<String> cats = new ArrayList<>();
            n.path("categories").forEach(c -> cats.add(c.asText()));
            return new ClusterEvent(
                    n.path("accountId").asText(),
                    n.path("region").asText(),
                    n.path("sourceIdentifier").asText(),
                    n.path("sourceType").asText(),
                    n.path("message").asText(),
                    cats,
                    n.path("severity").asText(),
                    Instant.parse(n.path("date").asText()),
                    n.path("eventId").asText());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (channel.isOpen()) {
                channel.force(false);
                channel.close();
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot close event log " + file + ": " + e, e);
        }
    }
}
