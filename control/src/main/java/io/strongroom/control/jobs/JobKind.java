package io.strongroom.control.jobs;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of long operation the control plane runs as jobs, each with the name its records carry on disk. */
public enum JobKind {
    RESTORE_CLUSTER("restore-cluster", "restore from snapshot"),
    RESTORE_TABLE("restore-table", "table restore"),
    CREATE_SNAPSHOT("create-snapshot", "snapshot"),
    COPY_SNAPSHOT("copy-snapshot", "snapshot copy"),
    COPY_SNAPSHOT_REGION("copy-snapshot-region", "cross-region snapshot copy"),
    DELETE_SNAPSHOT("delete-snapshot", "snapshot deletion"),
    RESIZE_CLUSTER("resize-cluster", "resize"),
    DELETE_CLUSTER("delete-cluster", "deletion"),
    CHANGE_ROOT_KEY("change-root-key", "KMS key change"),
    CHANGE_ENCRYPTION("change-encryption", "encryption change"),
    ROTATE_KEYS("rotate-keys", "key rotation"),
    COVERAGE_REPORT("coverage-report", "encryption coverage report");

    private final String wireName;
    private final String description;

    JobKind(String wireName, String description) {
        this.wireName = wireName;
        this.description = description;
    }

    /** The name in job records. */
    public String wireName() {
        return wireName;
    }

    /** What an error message calls an operation of this kind ("a resize is running"). */
    public String description() {
        return description;
    }

    public static Optional<JobKind> of(String wireName) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
    }
}
