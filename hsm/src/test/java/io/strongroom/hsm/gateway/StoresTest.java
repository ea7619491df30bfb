package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.kmip.State;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's two files: round trips, durable replacement, and refusal of damaged content. */
class StoresTest {
    @TempDir
    Path dir;

    @Test
    void objectStore_roundTrips_andRefusesDamage() throws Exception {
        ObjectStore s = ObjectStore.open(dir);
        ManagedKey k = new ManagedKey("u-1", State.PRE_ACTIVE, 12, 256, 100, -1, -1, -1, 100, "cek/ä 1", null);
        s.put(k);
        s.put(k.withState(State.ACTIVE, 200));
        s.put(new ManagedKey("u-2", State.PRE_ACTIVE, 12, 256, 100, -1, -1, -1, 100, null, "g"));
        s.remove("u-2");
        ObjectStore back = ObjectStore.open(dir);
        assertThat(back.all()).containsExactly(k.withState(State.ACTIVE, 200));
        assertThat(Files.exists(dir.resolve(ObjectStore.FILE + ".tmp"))).isFalse();

        Path f = dir.resolve(ObjectStore.FILE);
        String text = Files.readString(f, StandardCharsets.UTF_8);
        Files.writeString(f, text.replace(" 256 ", " 128 "));
        assertThatThrownBy(() -> ObjectStore.open(dir))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("checksum");
    }

    @Test
    void registry_roundTrips_exactCertificateMatch_andRefusesDamage() throws Exception {
        ClientCertificates.Issued a = ClientCertificates.generate("same-cn", Duration.ofDays(1));
        ClientCertificates.Issued b = ClientCertificates.generate("same-cn", Duration.ofDays(1));
        Registry.update(
                dir, r -> r.withPartition("p1").withClient("a", a.certificate()).withAssignment("a", "p1"));
        Registry r = Registry.load(dir);
        assertThat(r.clientOf(a.certificate())).isEqualTo("a");
        assertThat(r.clientOf(b.certificate())).as("same subject, other key").isNull();
        assertThat(r.assigned("a", "p1")).isTrue();
        assertThat(r.assigned("a", "p2")).isFalse();
        assertThatThrownBy(() -> r.withClient("b", a.certificate())).hasMessageContaining("registered already");

        Registry.Cached cached = new Registry.Cached(dir);
        assertThat(cached.get().clients()).containsOnlyKeys("a");
        Registry.update(dir, x -> x.withoutClient("a", null));
        assertThat(cached.get().clients()).isEmpty();

        Path f = dir.resolve(Registry.FILE);
        Files.writeString(f, Files.readString(f).replace("p1", "p2"));
        assertThatThrownBy(() -> Registry.load(dir)).hasMessageContaining("damaged");
    }
}
