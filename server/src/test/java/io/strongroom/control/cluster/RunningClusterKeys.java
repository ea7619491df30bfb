package io.strongroom.control.cluster;

import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.RawKeyAccess;

/**
 * Test-only access to a running cluster's database key (DEK) material, for the check that no file holds it
 * (HsmEndToEndIT). It sits in the control plane's package on the test class path because {@link
 * RunningCluster#databaseKey()} is package-private on purpose: no main code outside the package reaches the key.
 */
public final class RunningClusterKeys {
    private RunningClusterKeys() {}

    /** A copy of the cluster's current DEK material; the caller zeroes it. */
    public static byte[] databaseKeyMaterial(RunningCluster cluster) {
        DatabaseKey dek = cluster.databaseKey();
        if (dek == null) {
            throw new IllegalStateException("cluster " + cluster + " is not encrypted");
        }
        return dek.copyRawMaterial(RawKeyAccess.insecure());
    }
}
