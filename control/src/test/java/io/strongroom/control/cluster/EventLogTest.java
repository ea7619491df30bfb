package io.strongroom.control.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
    @TempDir
    Path dir;

    private static ClusterEvent event(String id, Instant at) {
        return new ClusterEvent(
                "111122223333", "us-east-1", "dw1", "cluster", "message " + id, List.of("security"), "ERROR", at, id);
    }

    private static List<String> ids(EventLog log, Instant now) {
        return log
                .query("111122223333", "us-east-1", "dw1", null, now.minusSeconds(3600), now.plusSeconds(3600))
                .stream()
                .map(ClusterEvent::eventId)
                .toList();
    }

    @Test
    void tornLastLine_fromACrash_isSkipped_andLaterEventsReadBack() throws Exception {
        Instant now = Instant.now();
        Path file = dir.resolve("events").resolve("events.jsonl");
        EventLog log = EventLog.open(file, now);
        log.add(event("E1", now));
        log.add(event("E2", now));
        log.close();
        // A crash in the middle of the next append: half a record ending inside a multi-byte character.
        Files.write(file, new byte[] {'{', '"', 'a', (byte) 0xE2, (byte) 0x82}, StandardOpenOption.APPEND);

        EventLog reopened = EventLog.open(file, now);
        assertThat(ids(reopened, now)).containsExactly("E1", "E2");
        reopened.add(event("E3", now));
        reopened.close();

        assertThat(ids(EventLog.open(file, now), now)).containsExactly("E1", "E2", "E3");
    }
}
