package io.strongroom.bench;

import io.strongroom.pgwire.Authenticator;
import io.strongroom.pgwire.Credentials;
import io.strongroom.pgwire.PgServer;
import io.strongroom.sql.session.StoreSqlEngine;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The PostgreSQL endpoint's admission limits, measured with the real JDBC driver against a real store: (1) logins
 * (connect, SCRAM, {@code SELECT 1}) while an attacker keeps {@code flood} sockets open that each send four bytes
 * of a startup packet and then nothing, reconnecting every socket the server drops, side by side with the same
 * logins and no flood; (2) how many wrong passwords one address gets answered per second with the login throttle,
 * against how many correct logins it completes.
 *
 * <p>Usage: {@code AdmissionBench [flood sockets, default 600] [seconds of guessing, default 20]}.
 */
public final class AdmissionBench {
    private static final String USER = "admin";
    private static final String PASSWORD = "Passw0rd-bench";

    private AdmissionBench() {}

    public static void main(String[] args) throws Exception {
        int flood = args.length > 0 ? Integer.parseInt(args[0]) : 600;
        int guessSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory("strongroom-admission");
        try (Store store = Store.create(dir, "admission", new ClusterLayout(1, 2), StoreKeys.unencrypted())) {
            PgServer server = PgServer.builder()
                    .engine(new StoreSqlEngine(store))
                    .port(0)
                    .authenticator(Authenticator.single(USER, Credentials.ofPassword(USER, PASSWORD.toCharArray())))
                    .start();
            try {
                logins(server, 20); // warm-up: classes, the driver, TLS
                Stats quiet = logins(server, 30);
                System.out.printf(
                        Locale.ROOT,
                        "logins without a flood: %d of %d succeeded, median %.1f ms%n",
                        quiet.ok,
                        quiet.tries,
                        quiet.medianMillis());
                for (int addresses : new int[] {1, 20}) {
                    Flood f = new Flood(server.port(), flood, addresses);
                    Thread attacker = Thread.ofPlatform().daemon().start(f);
                    Thread.sleep(1500); // the flood's sockets older than the server's minimum age to drop
                    Stats flooded;
                    try {
                        flooded = logins(server, 30);
                    } finally {
                        f.running.set(false);
                        attacker.join(10_000);
                        f.closeAll();
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "logins while %d sockets from %d other address(es) are held open (%d opened in all,"
                                    + " reconnecting what the server drops): %d of %d succeeded, median %.1f ms,"
                                    + " ratio %.2fx%n",
                            flood,
                            addresses,
                            f.opened.get(),
                            flooded.ok,
                            flooded.tries,
                            flooded.medianMillis(),
                            flooded.medianMillis() / quiet.medianMillis());
                    Thread.sleep(1500);
                }
                guessing(server, guessSeconds);
            } finally {
                server.close();
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Login latencies of {@code n} logins in turn. */
    private record Stats(int tries, int ok, List<Double> millis) {
        double medianMillis() {
            List<Double> sorted = millis.stream().sorted().toList();
            return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
        }
    }

    private static Stats logins(PgServer server, int n) {
        List<Double> millis = new ArrayList<>();
        int ok = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            if (login(server.port(), PASSWORD)) {
                ok++;
                millis.add((System.nanoTime() - t0) / 1e6);
            }
        }
        return new Stats(n, ok, millis);
    }

    private static boolean login(int port, String password) {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "30");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (SQLException e) {
            return false;
        }
    }

    /** Wrong passwords from one address for {@code seconds}, then correct logins for as long. */
    private static void guessing(PgServer server, int seconds) {
        long wrong = 0;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            login(server.port(), "guess-" + wrong);
            wrong++;
        }
        // A success resets the throttle: the first correct login after guessing is not delayed.
        long t0 = System.nanoTime();
        boolean first = login(server.port(), PASSWORD);
        double firstMillis = (System.nanoTime() - t0) / 1e6;
        long right = 0;
        end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (login(server.port(), PASSWORD)) {
                right++;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "password guessing from one address for %d s: %d answered (%.2f per second; %.1f per minute);"
                        + " correct logins in the same time: %d (%.1f per second); the first correct login after"
                        + " guessing %s in %.0f ms%n",
                seconds,
                wrong,
                wrong / (double) seconds,
                wrong * 60.0 / seconds,
                right,
                right / (double) seconds,
                first ? "succeeded" : "FAILED",
                firstMillis);
    }

    /** Keeps {@code count} sockets open that sent four bytes of a startup packet; reopens what the server closes. */
    private static final class Flood implements Runnable {
        final int port;
        final int count;
        final int addresses;
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong opened = new AtomicLong();
        final List<Socket> sockets = new ArrayList<>();

        Flood(int port, int count, int addresses) {
            this.port = port;
            this.count = count;
            this.addresses = addresses;
        }

        @Override
        public void run() {
            while (running.get()) {
                synchronized (sockets) {
                    sockets.removeIf(Flood::closedByServer);
                    while (sockets.size() < count && running.get()) {
                        try {
                            // From addresses of its own (127.0.0.2, ...), as an attacker elsewhere would be.
                            Socket s = new Socket(
                                    InetAddress.getLoopbackAddress(),
                                    port,
                                    InetAddress.getByAddress(new byte[] {
                                        127,
                                        0,
                                        (byte) (opened.get() % addresses / 250),
                                        (byte) (2 + opened.get() % addresses % 250)
                                    }),
                                    0);
                            OutputStream out = s.getOutputStream();
                            out.write(new byte[] {0, 0, 0, 8});
                            out.flush();
                            sockets.add(s);
                            opened.incrementAndGet();
                        } catch (IOException refused) {
                            break;
                        }
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Whether the server closed {@code s} (after an error answer, which is read and discarded). */
        private static boolean closedByServer(Socket s) {
            byte[] buf = new byte[4096];
            try {
                s.setSoTimeout(1);
                while (true) {
                    if (s.getInputStream().read(buf) < 0) {
                        s.close();
                        return true;
                    }
                }
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        void closeAll() throws IOException {
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
                sockets.clear();
            }
        }
    }
}
