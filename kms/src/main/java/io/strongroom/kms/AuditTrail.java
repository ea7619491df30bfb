package io.strongroom.kms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and filters the KMS audit trail ({@code <data dir>/audit/kms-audit.jsonl}); what {@code strongroom
 * audit} runs. Lines that are not complete JSON records (a torn last line after a crash) are skipped.
 *
 * <p>Immutable and thread-safe; each query reads the file afresh, so it sees every record appended before
 * it started.
 */
public final class AuditTrail {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public AuditTrail(Path file) {
        this.file = file;
    }

    /** The trail of the KMS whose data directory is {@code dataDir}. */
    public static AuditTrail ofDataDir(Path dataDir) {
        return new AuditTrail(dataDir.resolve(AuditLog.DIR).resolve(AuditLog.FILE));
    }

    public Path file() {
        return file;
    }

    /** The matching records, oldest first. */
    public List<AuditRecord> query(AuditQuery q) {
        List<AuditRecord> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    continue;
                }
                if (n instanceof ObjectNode o) {
                    AuditRecord r = new AuditRecord(o);
                    if (matches(r, q)) {
                        out.add(r);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read audit trail " + file + ": " + e, e);
        }
        return out;
    }

    static boolean matches(AuditRecord r, AuditQuery q) {
        if (q.eventName() != null && !q.eventName().equals(r.eventName())) {
            return false;
        }
        if (q.errorsOnly() && r.errorCode() == null) {
            return false;
        }
        String principal = q.principal();
        if (principal != null
                && !principal.equals(r.principalArn())
                && !principal.equals(r.accountId())
                && !principal.equals(r.accessKeyId())) {
            return false;
        }
        if (q.from() != null || q.to() != null) {
            Instant t = r.eventTime();
            if ((q.from() != null && t.isBefore(q.from())) || (q.to() != null && !t.isBefore(q.to()))) {
                return false;
            }
        }
        String key = q.key();
        if (key != null) {
            String arn = r.keyArn();
            boolean hit = (arn != null && (arn.equals(key) || arn.endsWith("/" + key)))
                    || r.requestedKeyId().equals(key)
                    || (!r.requestedKeyId().isEmpty() && r.requestedKeyId().endsWith("/" + key));
            if (!hit) {
                return false;
            }
        }
        String v = q.contextValue();
        if (v != null) {
            boolean hit = false;
            for (String value : r.encryptionContext().values()) {
                if (value.equals(v) || value.endsWith(":" + v) || value.endsWith("/" + v)) {
                    hit = true;
                    break;
                }
            }
            if (!hit) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "AuditTrail[" + file + "]";
    }
}
