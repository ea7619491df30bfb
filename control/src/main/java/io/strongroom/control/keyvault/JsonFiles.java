package io.strongroom.control.keyvault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Directories of small JSON records, one file per record, written whole with {@link AtomicFile}: snapshot copy grants
 * and configurations, HSM settings, parameter groups. Stateless.
 */
public final class JsonFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    /** The {@code .json} files of {@code dir}, sorted (none when it does not exist); stray temporaries are deleted. */
    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        AtomicFile.deleteStrays(dir);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot list " + dir + ": " + e, e);
        }
    }

    /** The JSON object in {@code p}; anything else is an integrity failure naming the file. */
    public static JsonNode readObject(Path p) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(p));
            if (n == null || !n.isObject()) {
                throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, p + " is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "cannot read " + p + ": " + e, e);
        }
    }

    /** Writes {@code n} as {@code dir/<name>.json}, atomically, creating {@code dir} when needed. */
    public static void write(Path dir, String name, ObjectNode n) {
        try {
            Files.createDirectories(dir);
            AtomicFile.write(
                    dir.resolve(name + ".json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + dir.resolve(name) + ": " + e, e);
        }
    }
}
