package io.strongroom.control.api;

import io.strongroom.base.StrongroomException;
import io.strongroom.control.keys.ShredReport;

/**
 * The XML of {@code DescribeClusterShredding}, a Strongroom extension of the Redshift API ({@code strongroom shred};
 * docs/security.md "Crypto-shredding"): what {@link ShredReport} holds, in the shapes' style (PascalCase elements,
 * lists of {@code member}s or named items). Nothing in the report is secret. Stateless.
 */
final class ShredXml {
    private ShredXml() {}

    static void write(XmlWriter w, ShredReport r) {
        w.text("ClusterIdentifier", r.cluster())
                .text("ClusterArn", r.clusterArn())
                .text("Region", r.region())
                .time("CheckedAt", r.checkedAt())
                .text("Verdict", r.verdict())
                .text("Shredded", r.shredded());
        w.open("Items");
        for (ShredReport.Item i : r.items()) {
            w.open("Item")
                    .text("Kind", i.kind().wireName())
                    .text("Name", i.name())
                    .text("Region", i.region())
                    .text("Status", i.status())
                    .text("Protection", i.protection())
                    .text("RootKeyArn", i.rootKeyArn() == null ? "" : i.rootKeyArn())
                    .text("Readable", i.readable())
                    .text("Reason", StrongroomException.forClient(i.reason()))
                    .close("Item");
        }
        w.close("Items");
        w.open("RootKeys");
        for (ShredReport.RootKey k : r.rootKeys()) {
            w.open("RootKey")
                    .text("KeyArn", k.keyArn())
                    .text("Region", k.region())
                    .text("KeyState", k.state())
                    .text("Deleted", k.deleted());
            if (k.deletionDate() != null) {
                w.time("DeletionDate", k.deletionDate());
            }
            if (k.keyManager() != null) {
                w.text("KeyManager", k.keyManager());
            }
            if (k.detail() != null) {
                w.text("Detail", StrongroomException.forClient(k.detail()));
            }
            w.close("RootKey");
        }
        w.close("RootKeys");
        w.open("Actions");
        r.actions().forEach(a -> w.text("member", StrongroomException.forClient(a)));
        w.close("Actions");
        w.open("Notes");
        r.notes().forEach(n -> w.text("member", StrongroomException.forClient(n)));
        w.close("Notes");
    }
}
