package io.strongroom.control.cluster;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable cluster records: one file {@code <id>.json} per cluster in the control plane's {@code clusters/}
 * directory. Saving a record is the commit point of CreateCluster, of a resize (it switches the store directory)
 * and of a rename; deleting it is the last step of DeleteCluster. Thread-safe for distinct clusters.
 */
public final class ClusterRegistry {
    private final Path dir;

    ClusterRegistry(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e, e);
        }
        AtomicFile.deleteStrays(dir);
    }

    public void save(ClusterRecord r) {
        AtomicFile.write(dir.resolve(r.id() + ".json"), r.toJson());
    }

    /** Whether cluster {@code id} has a record (a creation or restore reached its commit point). */
    public boolean exists(String id) {
        return Files.exists(dir.resolve(id + ".json"));
    }

    public void delete(String id) {
        AtomicFile.delete(dir.resolve(id + ".json"));
    }

    public List<ClusterRecord> loadAll() {
        List<ClusterRecord> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (p.getFileName().toString().endsWith(".json")) {
                    out.add(ClusterRecord.fromJson(Files.readAllBytes(p), p.toString()));
                }
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read cluster records in " + dir + ": " + e, e);
        }
        return out;
    }
}
