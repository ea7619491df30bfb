package io.strongroom.aws;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP server set-up both AWS endpoints (the KMS API and the Redshift API) use: the JDK's {@code
 * com.sun.net.httpserver} with one virtual thread per request, a listen backlog of {@link Limits#backlog()}, and the
 * JDK server's own limits in force.
 *
 * <p>Which limits are per server and which are per JVM: the backlog, the executor, the body size and the body
 * deadline ({@link HttpBodies}, {@link BodyDeadline}, applied by each endpoint's handler) and the number of requests
 * served at once (the KMS handler's permits) are settings of each server. The JDK offers its request and response
 * timeouts, its idle-connection timeout and its connection cap only as system properties ({@link
 * #JDK_SERVER_PROPERTIES}), read once, when the first {@code HttpServer} of the JVM is created; so they are set from
 * this one place, {@link #applyJdkServerLimits()}, which {@link #start} calls before creating a server and which the
 * {@code strongroom} command calls first thing at start, before any server of any module. A value already set (with
 * {@code -D}, say) is kept. Whatever is in force when the first JDK server of the JVM starts applies to every later
 * one: a JDK server started by other code before this class sets the properties keeps the JDK's defaults.
 *
 * <p>{@link #close()} stops listening, then waits up to ten seconds for requests in flight. Thread-safe.
 */
public final class ApiHttpServer implements AutoCloseable {
    /**
     * The JDK HTTP server's limits both endpoints rely on (values in seconds, or a count): a request must arrive
     * completely within 30 s and its response be taken within 30 s, idle keep-alive connections close after 30 s,
     * and at most 1024 connections are open at once. {@link BodyDeadline#DEFAULT} stays below the request limit.
     */
    public static final Map<String, String> JDK_SERVER_PROPERTIES = Map.of(
            "sun.net.httpserver.maxReqTime", "30",
            "sun.net.httpserver.maxRspTime", "30",
            "sun.net.httpserver.idleInterval", "30",
            "jdk.httpserver.maxConnections", "1024");

    /**
     * The settings of one server.
     *
     * @param backlog connections the operating system queues before the server accepts them
     */
    public record Limits(int backlog) {
        /** What both endpoints use unless told otherwise. */
        public static final Limits DEFAULTS = new Limits(1024);

        public Limits {
            if (backlog < 1) {
                throw new IllegalArgumentException("backlog must be at least 1: " + backlog);
            }
        }
    }

    private final HttpServer http;
    private final ExecutorService executor;

    private ApiHttpServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /**
     * Sets the {@link #JDK_SERVER_PROPERTIES} that are not set yet. Idempotent; call it before any JDK HTTP server of
     * the process is created ({@link #start} does).
     */
    public static synchronized void applyJdkServerLimits() {
        JDK_SERVER_PROPERTIES.forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
    }

    /** Listens on {@code bindAddress:port} (0 picks a free port) and serves every path with {@code handler}. */
    public static ApiHttpServer start(String bindAddress, int port, Limits limits, HttpHandler handler)
            throws IOException {
        applyJdkServerLimits();
        HttpServer http = HttpServer.create(new InetSocketAddress(bindAddress, port), limits.backlog());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", handler);
        http.start();
        return new ApiHttpServer(http, executor);
    }

    /** The endpoint URL, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ApiHttpServer[" + endpoint() + "]";
    }
}
