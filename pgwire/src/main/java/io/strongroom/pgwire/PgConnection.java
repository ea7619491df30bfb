package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.pgwire.protocol.BackendWriter;
import io.strongroom.pgwire.protocol.FrontendMessage;
import io.strongroom.pgwire.protocol.PgException;
import io.strongroom.pgwire.protocol.PgValues;
import io.strongroom.pgwire.protocol.StartupPacket;
import io.strongroom.sql.PreparedStatement;
import io.strongroom.sql.Result;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.RowText;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.sql.SqlType;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * One client connection: the protocol's session state machine.
 *
 * <p>How this works. {@link #run()} goes through three phases on the connection's own thread. <b>Startup</b>:
 * read startup packets (bounded to 10 000 bytes) until a StartupMessage, answering SSLRequest with 'S' and a
 * TLS handshake (or 'N'), GSSENCRequest with 'N', and serving a CancelRequest by signalling the target and
 * closing. <b>Authentication</b>: SCRAM-SHA-256 or md5 as configured, messages bounded the same way, 60 s to
 * finish. <b>Ready</b>: open the {@link SqlSession}, send AuthenticationOk, ParameterStatus, BackendKeyData and
 * ReadyForQuery, then loop over messages: Query runs the simple protocol; Parse/Bind/Describe/Execute/Close run
 * the extended one with named statements and portals, and after an error everything up to the next Sync is
 * discarded, as PostgreSQL does. A portal keeps its open {@link Result.Rows} between Executes (row limits,
 * PortalSuspended); portals live until Close, the next Bind of the same name, or a Sync outside a transaction
 * block.
 *
 * <p>Errors: engine failures ({@link StrongroomException}) and wire-level ones ({@link PgException}) become an
 * ErrorResponse with their SQLSTATE and message and leave the session usable; a fatal {@link PgException}
 * (protocol violation, failed login) is sent and the connection closed; any other exception is logged here with
 * its stack and the client sees only XX000 "internal error". Whatever ends the connection, {@link #cleanup()}
 * closes every portal's rows, then the session.
 *
 * <p>Thread-safety: one thread runs the connection; {@link #cancel()} and {@link #abort()} are called from
 * others and only touch volatile fields.
 */
final class PgConnection {
    private static final System.Logger LOG = System.getLogger(PgConnection.class.getName());
    private static final int AUTHENTICATION_TIMEOUT_MILLIS = 60_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Delivers a CancelRequest to the server, which finds the target connection. */
    interface CancelHandler {
        void cancel(int processId, int secretKey);
    }

    /** Admits a connection whose password checked out, or refuses it (the server's connection cap). */
    interface Admission {
        boolean admit(PgConnection authenticated);
    }

    /** A parsed statement; {@code prepared} is null for an empty query string. */
    private record Statement(
            @Nullable PreparedStatement prepared, List<SqlType> parameterTypes, List<ResultColumn> columns) {}

    /** A bound statement and, once executed, its result. */
    private static final class Portal {
        final Statement statement;
        final List<@Nullable Object> parameters;
        final short[] formats;

        @Nullable
        Result result;

        long rowsSent;

        @Nullable
        String doneTag;

        Portal(Statement statement, List<@Nullable Object> parameters, short[] formats) {
            this.statement = statement;
            this.parameters = parameters;
            this.formats = formats;
        }

        void close() {
            if (result instanceof Result.Rows rows) {
                try {
                    rows.close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing a result failed", e);
                }
            }
            result = null;
        }
    }

    private final PgServer.Config config;
    private final int processId;
    private final int secretKey;
    private final CancelHandler cancelHandler;
    private volatile Socket socket;
    private volatile @Nullable SqlSession session;
    private InputStream in;
    private BackendWriter out;
    private final Map<String, Statement> statements = new HashMap<>();
    private final Map<String, Portal> portals = new HashMap<>();
    /** The row the SQL engine formats text results into, reused row after row ({@link #sendRows}). */
    private final RowText rowText = new RowText();

    private Map<String, String> reported = Map.of();
    private boolean skipToSync;
    private String user = "";

    /** When the connection was accepted: the server drops the oldest unauthenticated ones first. */
    final long acceptedNanos = System.nanoTime();

    private final LoginThrottle throttle;
    private final Admission admission;

    PgConnection(
            PgServer.Config config,
            Socket socket,
            int processId,
            int secretKey,
            CancelHandler cancelHandler,
            Admission admission,
            LoginThrottle throttle) {
        this.admission = admission;
        this.config = config;
        this.throttle = throttle;
        this.socket = socket;
        this.processId = processId;
        this.secretKey = secretKey;
        this.cancelHandler = cancelHandler;
        try {
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = new BackendWriter(socket.getOutputStream());
        } catch (IOException e) {
            throw new IllegalStateException("socket not connected", e);
        }
    }

    boolean secretKeyMatches(int key) {
        return MessageDigest.isEqual(intBytes(key), intBytes(secretKey));
    }

    /** Called by a CancelRequest on another connection. */
    void cancel() {
        SqlSession s = session;
        if (s != null) {
            try {
                s.cancel();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "SqlSession.cancel failed", e);
            }
        }
    }

    /** Closes the socket under the connection thread, which then ends and cleans up. */
    void abort() {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a connection", e);
        }
    }

    void run() {
        try {
            serve();
        } catch (EOFException | SocketTimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "connection " + processId + " ended: " + e.getMessage());
        } catch (SSLException e) {
            LOG.log(System.Logger.Level.INFO, () -> "TLS failed on connection " + processId + ": " + e.getMessage());
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "connection " + processId + " closed: " + e.getMessage());
        } catch (PgException e) {
            LOG.log(System.Logger.Level.INFO, () -> "closing connection " + processId + ": " + e.getMessage());
            sendFatal(e.code().sqlState(), message(e));
        } catch (StrongroomException e) {
            sendFatal(
                    e.code().sqlState(),
                    e.code() == ErrorCode.INTERNAL ? internalError(e, "the connection failed") : message(e));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "connection " + processId + " I/O failed: " + e);
        } catch (RuntimeException | Error e) {
            sendFatal(ErrorCode.INTERNAL.sqlState(), internalError(e, "the connection failed"));
        } finally {
            cleanup();
        }
    }

    /** The client's address (admission limits count unauthenticated connections per address). */
    InetAddress peer() {
        return socket.getInetAddress();
    }

    /** Set once the password checked out, before the session opens: admission never drops such a connection. */
    private volatile boolean passwordChecked;

    /** Marks the password checked; called by the server's admission, under its lock. */
    void passwordChecked() {
        passwordChecked = true;
    }

    /** True once the client authenticated; until then the server enforces an overall deadline. */
    boolean authenticated() {
        return passwordChecked || session != null;
    }

    private void serve() throws IOException {
        socket.setSoTimeout(AUTHENTICATION_TIMEOUT_MILLIS);
        StartupPacket.Startup startup = startup();
        if (startup == null) {
            return;
        }
        Map<String, String> params = startup.parameters();
        String u = params.get("user");
        if (u == null || u.isEmpty()) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION, "no PostgreSQL user name specified in startup packet", true);
        }
        user = u;
        if (config.requireTls() && !(socket instanceof SSLSocket)) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION, "this server requires TLS: connect with sslmode=require", true);
        }
        PasswordLogin login = new PasswordLogin(config, throttle, peer(), in, out, params.getOrDefault("database", u));
        PasswordMethod method =
                PasswordLogin.redshiftDriver(params) ? config.redshiftDriverMethod() : config.passwordMethod();
        switch (method) {
            case REDSHIFT_DIGEST -> login.redshiftDigest(u);
            case MD5 -> login.md5(u);
            case SCRAM_SHA_256 -> login.scram(u);
        }
        if (!admission.admit(this)) {
            throw new PgException(
                    ErrorCode.TOO_MANY_CONNECTIONS, "sorry, too many clients already; try again later", true);
        }
        throttle.succeeded(peer(), u);
        socket.setSoTimeout(0);
        String database = params.getOrDefault("database", u);
        SqlSession s = config.engine().open(new SessionInfo(u, database.isEmpty() ? u : database, params));
        session = s;
        out.authenticationOk();
        reportSettingChanges(s, params);
        out.backendKeyData(processId, secretKey);
        readyForQuery(s);
        loop(s);
    }

    /** Startup packets until a StartupMessage; null if the connection was a CancelRequest. */
    private StartupPacket.@Nullable Startup startup() throws IOException {
        boolean tls = false;
        while (true) {
            StartupPacket packet = StartupPacket.read(in);
            switch (packet) {
                case StartupPacket.SslRequest r -> {
                    SSLContext context = config.sslContext();
                    if (tls || context == null) {
                        out.rawByte('N');
                        out.flush();
                        continue;
                    }
                    if (in.available() > 0) {
                        // Bytes sent before the handshake could be injected by a man in the middle (CVE-2021-23214).
                        throw PgException.protocolViolation("received unencrypted data after SSL request");
                    }
                    out.rawByte('S');
                    out.flush();
                    SSLSocket ssl =
                            (SSLSocket) context.getSocketFactory().createSocket(socket, (InputStream) null, true);
                    ssl.setUseClientMode(false);
                    ssl.startHandshake();
                    socket = ssl;
                    in = new BufferedInputStream(ssl.getInputStream());
                    out = new BackendWriter(ssl.getOutputStream());
                    tls = true;
                }
                case StartupPacket.GssEncRequest r -> {
                    out.rawByte('N');
                    out.flush();
                }
                case StartupPacket.CancelRequest c -> {
                    cancelHandler.cancel(c.processId(), c.secretKey());
                    return null;
                }
                case StartupPacket.Startup s -> {
                    return s;
                }
            }
        }
    }

    private void loop(SqlSession s) throws IOException {
        while (true) {
            FrontendMessage m = FrontendMessage.read(in, config.maxMessageBytes());
            if (m instanceof FrontendMessage.Terminate) {
                return;
            }
            if (skipToSync && !(m instanceof FrontendMessage.Sync)) {
                continue;
            }
            switch (m) {
                case FrontendMessage.Query q -> simpleQuery(s, q.sql());
                case FrontendMessage.Sync sync -> {
                    skipToSync = false;
                    if (s.transactionState() == SqlSession.TransactionState.IDLE) {
                        closePortals();
                    }
                    readyForQuery(s);
                }
                case FrontendMessage.Flush f -> out.flush();
                // Left over from a COPY FROM STDIN that failed: the protocol says to drop them.
                case FrontendMessage.CopyData d -> {}
                case FrontendMessage.CopyDone d -> {}
                case FrontendMessage.CopyFail f -> {}
                case FrontendMessage.Password p -> throw PgException.protocolViolation("unexpected password message");
                default -> {
                    try {
                        extended(s, m);
                    } catch (RuntimeException e) {
                        reportError(e);
                        skipToSync = true;
                    } catch (StackOverflowError e) {
                        reportTooComplex();
                        skipToSync = true;
                    }
                }
            }
        }
    }

    // ---- simple query protocol

    private void simpleQuery(SqlSession s, String sql) throws IOException {
        dropUnnamed();
        try {
            List<String> parts = s.split(sql);
            if (parts.stream().allMatch(PgConnection::isEmptyQuery)) {
                out.emptyQueryResponse();
            }
            for (String part : parts) {
                if (isEmptyQuery(part)) {
                    continue;
                }
                PreparedStatement prepared = s.prepare(part, List.of());
                Result result = s.execute(prepared, List.of());
                if (result instanceof Result.Rows rows) {
                    try (rows) {
                        out.rowDescription(
                                rows.columns(), new short[rows.columns().size()]);
                        long sent = sendRows(rows, new short[rows.columns().size()], 0);
                        out.commandComplete(rows.tag(sent));
                    }
                } else {
                    sendNonRows(result);
                }
                reportSettingChanges(s, Map.of());
            }
        } catch (RuntimeException e) {
            reportError(e);
        } catch (StackOverflowError e) {
            reportTooComplex();
        }
        readyForQuery(s);
    }

    // ---- extended query protocol

    private void extended(SqlSession s, FrontendMessage m) throws IOException {
        switch (m) {
            case FrontendMessage.Parse p -> parse(s, p);
            case FrontendMessage.Bind b -> bind(b);
            case FrontendMessage.Describe d -> describe(d);
            case FrontendMessage.Execute e -> execute(s, e);
            case FrontendMessage.Close c -> {
                if (c.kind() == 'S') {
                    statements.remove(c.name());
                } else {
                    Portal p = portals.remove(c.name());
                    if (p != null) {
                        p.close();
                    }
                }
                out.closeComplete();
            }
            default ->
                throw PgException.protocolViolation(
                        "unexpected message " + m.getClass().getSimpleName());
        }
    }

    private void parse(SqlSession s, FrontendMessage.Parse p) throws IOException {
        if (!p.statement().isEmpty() && statements.containsKey(p.statement())) {
            throw new PgException(
                    ErrorCode.DUPLICATE_PREPARED_STATEMENT,
                    "prepared statement \"" + p.statement() + "\" already exists",
                    false);
        }
        List<SqlType> declared = new ArrayList<>(p.parameterOids().length);
        for (int oid : p.parameterOids()) {
            declared.add(SqlType.ofOid(oid));
        }
        Statement statement;
        if (isEmptyQuery(p.sql())) {
            statement = new Statement(null, List.copyOf(declared), List.of());
        } else {
            PreparedStatement prepared = s.prepare(p.sql(), List.copyOf(declared));
            statement = new Statement(prepared, prepared.parameterTypes(), prepared.columns());
        }
        statements.put(p.statement(), statement);
        out.parseComplete();
    }

    private void bind(FrontendMessage.Bind b) throws IOException {
        Statement statement = statements.get(b.statement());
        if (statement == null) {
            throw new PgException(
                    ErrorCode.INVALID_SQL_STATEMENT_NAME,
                    "prepared statement \"" + b.statement() + "\" does not exist",
                    false);
        }
        if (!b.portal().isEmpty() && portals.containsKey(b.portal())) {
            throw new PgException(ErrorCode.DUPLICATE_CURSOR, "portal \"" + b.portal() + "\" already exists", false);
        }
        List<SqlType> types = statement.parameterTypes();
        if (b.parameters().size() != types.size()) {
            throw new PgException(
                    ErrorCode.PROTOCOL_VIOLATION,
                    "bind message supplies " + b.parameters().size() + " parameters, but prepared statement \""
                            + b.statement() + "\" requires " + types.size(),
                    false);
        }
        short[] paramFormats = b.parameterFormats();
        if (paramFormats.length > 1 && paramFormats.length != types.size()) {
            throw new PgException(
                    ErrorCode.PROTOCOL_VIOLATION,
                    "bind message has " + paramFormats.length + " parameter formats but " + types.size()
                            + " parameters",
                    false);
        }
        List<@Nullable Object> values = new ArrayList<>(types.size());
        for (int i = 0; i < types.size(); i++) {
            byte[] raw = b.parameters().get(i);
            short format = paramFormats.length == 0 ? 0 : paramFormats.length == 1 ? paramFormats[0] : paramFormats[i];
            if (raw == null) {
                values.add(null);
            } else if (format == 1) {
                values.add(PgValues.decodeBinary(types.get(i), raw));
            } else {
                values.add(PgValues.decodeText(types.get(i), raw));
            }
        }
        short[] formats = BackendWriter.resolveFormats(
                b.resultFormats(), statement.columns().size());
        Portal old = portals.put(b.portal(), new Portal(statement, Collections.unmodifiableList(values), formats));
        if (old != null) {
            old.close();
        }
        out.bindComplete();
    }

    private void describe(FrontendMessage.Describe d) throws IOException {
        if (d.kind() == 'S') {
            Statement statement = statements.get(d.name());
            if (statement == null) {
                throw new PgException(
                        ErrorCode.INVALID_SQL_STATEMENT_NAME,
                        "prepared statement \"" + d.name() + "\" does not exist",
                        false);
            }
            out.parameterDescription(statement.parameterTypes());
            describeRows(statement.columns(), new short[statement.columns().size()]);
        } else {
            Portal portal = portals.get(d.name());
            SqlSession s = session;
            List<ResultColumn> cursor = portal == null && s != null ? s.cursorColumns(d.name()) : null;
            if (cursor != null) {
                // A DECLAREd cursor is a portal too, as in PostgreSQL; its rows come as text by FETCH.
                describeRows(cursor, new short[cursor.size()]);
                return;
            }
            portal = portal(d.name());
            describeRows(portal.statement.columns(), portal.formats);
        }
    }

    private void describeRows(List<ResultColumn> columns, short[] formats) throws IOException {
        if (columns.isEmpty()) {
            out.noData();
        } else {
            out.rowDescription(columns, formats);
        }
    }

    private void execute(SqlSession s, FrontendMessage.Execute e) throws IOException {
        Portal portal = portal(e.portal());
        PreparedStatement prepared = portal.statement.prepared();
        if (prepared == null) {
            out.emptyQueryResponse();
            return;
        }
        String done = portal.doneTag;
        if (done != null) {
            out.commandComplete(done);
            return;
        }
        try {
            Result result = portal.result;
            if (result == null) {
                result = s.execute(prepared, portal.parameters);
                portal.result = result;
            }
            if (result instanceof Result.Rows rows) {
                long sent = sendRows(rows, portal.formats, e.maxRows());
                portal.rowsSent += sent;
                if (e.maxRows() > 0 && sent == e.maxRows() && rows.hasNext()) {
                    out.portalSuspended();
                } else {
                    String tag = rows.tag(portal.rowsSent);
                    portal.close();
                    portal.doneTag = tag;
                    out.commandComplete(tag);
                }
            } else {
                portal.doneTag = sendNonRows(result);
            }
            reportSettingChanges(s, Map.of());
        } catch (RuntimeException | IOException ex) {
            portals.remove(e.portal());
            portal.close();
            throw ex;
        }
    }

    private Portal portal(String name) {
        Portal portal = portals.get(name);
        if (portal == null) {
            throw new PgException(ErrorCode.INVALID_CURSOR_NAME, "portal \"" + name + "\" does not exist", false);
        }
        return portal;
    }

    // ---- results

    /** Sends up to {@code maxRows} rows (0: all) and returns how many it sent. */
    private long sendRows(Result.Rows rows, short[] formats, int maxRows) throws IOException {
        List<ResultColumn> columns = rows.columns();
        boolean text = allText(formats);
        long sent = 0;
        while ((maxRows <= 0 || sent < maxRows) && rows.hasNext()) {
            if (text && rows.nextText(rowText)) {
                out.dataRowText(rowText, columns.size());
            } else {
                out.dataRow(rows.next(), columns, formats);
            }
            sent++;
        }
        return sent;
    }

    private static boolean allText(short[] formats) {
        for (short f : formats) {
            if (f != 0) {
                return false;
            }
        }
        return true;
    }

    /** Command, CopyIn or CopyOut: runs it to the end and returns its tag, after sending CommandComplete. */
    private String sendNonRows(Result result) throws IOException {
        String tag = switch (result) {
            case Result.Command c -> c.tag();
            case Result.CopyIn c -> CopySubprotocol.copyIn(c, in, out, config.maxMessageBytes());
            case Result.CopyOut c -> CopySubprotocol.copyOut(c, out);
            case Result.Deallocate d -> deallocate(d);
            case Result.Rows r -> throw new IllegalStateException("rows are sent by sendRows");
        };
        out.commandComplete(tag);
        return tag;
    }

    /**
     * DEALLOCATE and DISCARD ALL on this connection's prepared statements (the names Parse gave, which PostgreSQL's
     * DEALLOCATE shares: psycopg sends DEALLOCATE ALL after a rollback to drop the ones it prepared). The unnamed
     * statement and the portal running this command stay until the command ends.
     */
    private String deallocate(Result.Deallocate d) {
        String name = d.name();
        if (name == null) {
            statements.keySet().removeIf(k -> !k.isEmpty());
            if (d.portals()) {
                portals.entrySet().removeIf(e -> {
                    if (e.getKey().isEmpty()) {
                        return false;
                    }
                    e.getValue().close();
                    return true;
                });
            }
        } else if (statements.remove(name) == null) {
            throw new PgException(
                    ErrorCode.INVALID_SQL_STATEMENT_NAME, "prepared statement \"" + name + "\" does not exist", false);
        }
        return d.tag();
    }

    // ---- state reports

    private void readyForQuery(SqlSession s) throws IOException {
        out.readyForQuery(s.transactionState().status());
        out.flush();
    }

    /** ParameterStatus for every reported setting that changed since the last report. */
    private void reportSettingChanges(SqlSession s, Map<String, String> startupParams) throws IOException {
        Map<String, String> now = new LinkedHashMap<>();
        if (reported.isEmpty()) {
            now.put("server_version", "15.0");
            now.put("server_encoding", "UTF8");
            now.put("client_encoding", "UTF8");
            now.put("DateStyle", "ISO, MDY");
            now.put("IntervalStyle", "postgres");
            now.put("TimeZone", "UTC");
            now.put("integer_datetimes", "on");
            now.put("standard_conforming_strings", "on");
            now.put("is_superuser", "off");
            now.put("session_authorization", user);
            now.put("application_name", startupParams.getOrDefault("application_name", ""));
            now.putAll(config.defaultSettings());
        } else {
            now.putAll(reported);
        }
        now.putAll(s.reportedSettings());
        for (Map.Entry<String, String> e : now.entrySet()) {
            if (!e.getValue().equals(reported.get(e.getKey()))) {
                out.parameterStatus(e.getKey(), e.getValue());
            }
        }
        reported = now;
    }

    /**
     * A statement whose expressions or set operations nest deeper than the parser, planner or executor can recurse
     * (a thousand-term sum, thousands of UNIONs): 54001 statement_too_complex, as PostgreSQL answers one past its
     * stack depth limit. The session goes on; one log line (never the statement, which may hold literals), no trace.
     */
    private void reportTooComplex() throws IOException {
        LOG.log(System.Logger.Level.INFO, () -> "connection " + processId + ": a statement nested too deeply");
        out.errorResponse(
                "ERROR",
                "54001",
                "statement too complex: its expressions or set operations nest too deeply; split it into simpler"
                        + " statements (for example a long chain of UNIONs into an INSERT ... SELECT per part)");
    }

    private void reportError(RuntimeException e) throws IOException {
        switch (e) {
            case PgException p when p.fatal() -> throw p;
            case StrongroomException s
            when s.code() == ErrorCode.INTERNAL ->
                out.errorResponse("ERROR", s.code().sqlState(), internalError(s, "the SQL engine failed"));
            case StrongroomException s -> out.errorResponse("ERROR", s.code().sqlState(), message(s));
            default ->
                out.errorResponse("ERROR", ErrorCode.INTERNAL.sqlState(), internalError(e, "the SQL engine failed"));
        }
    }

    /**
     * The message for a failure inside Strongroom (XX000), after one log line with a fresh reference, the connection
     * and the stack (the messages withheld: they may quote the statement's literals). The client is told the reference
     * to quote, never the detail, which may name classes and paths.
     */
    private String internalError(Throwable e, String what) {
        String reference = UUID.randomUUID().toString();
        LOG.log(
                System.Logger.Level.ERROR,
                "connection " + processId + ", reference " + reference + ": " + what,
                Withheld.of(e));
        return "internal error; the server log has the detail under reference " + reference + " (connection "
                + processId + ")";
    }

    private void sendFatal(String sqlState, String message) {
        try {
            out.errorResponse("FATAL", sqlState, message);
            out.flush();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not send the closing error", e);
        }
    }

    // ---- cleanup

    private void dropUnnamed() {
        statements.remove("");
        Portal p = portals.remove("");
        if (p != null) {
            p.close();
        }
    }

    private void closePortals() {
        for (Portal p : portals.values()) {
            p.close();
        }
        portals.clear();
    }

    private void cleanup() {
        closePortals();
        SqlSession s = session;
        session = null;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing a session failed", e);
            }
        }
        abort();
    }

    private static boolean isEmptyQuery(String sql) {
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (!Character.isWhitespace(c) && c != ';') {
                return false;
            }
        }
        return true;
    }

    /** What the client is told of {@code e}: never a server path (the full message goes to the log then). */
    private String message(RuntimeException e) {
        String m = e.getMessage();
        if (m == null || m.isEmpty()) {
            return "error";
        }
        String shown = StrongroomException.forClient(m);
        if (!shown.equals(m) && !(e instanceof PgException)) {
            // The paths only: the rest of an engine's message may quote the statement's literals.
            LOG.log(
                    System.Logger.Level.WARNING,
                    () -> "connection " + processId + ": a " + e.getClass().getSimpleName() + " named server paths "
                            + StrongroomException.pathsIn(m));
        }
        return shown;
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
