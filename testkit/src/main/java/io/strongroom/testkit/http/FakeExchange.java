package io.strongroom.testkit.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * An exchange with chosen method, headers and body that records the status, the response headers and the response
 * bytes, so a handler's answer to any failure can be driven and read without a server. Not thread-safe: one test
 * thread drives it.
 */
public class FakeExchange extends HttpExchange {
    private final Headers requestHeaders = new Headers();
    private final Headers responseHeaders = new Headers();
    private final InputStream body;
    private final ByteArrayOutputStream response = new ByteArrayOutputStream();
    private int status = -1;

    public FakeExchange(InputStream body) {
        this.body = body;
    }

    /** The status the handler sent, or -1 before it sent one. */
    public int status() {
        return status;
    }

    /** The response body as sent so far. */
    public byte[] responseBytes() {
        return response.toByteArray();
    }

    /** The response body as UTF-8 text. */
    public String responseText() {
        return response.toString(StandardCharsets.UTF_8);
    }

    @Override
    public Headers getRequestHeaders() {
        return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return URI.create("/");
    }

    @Override
    public String getRequestMethod() {
        return "POST";
    }

    @Override
    public HttpContext getHttpContext() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}

    @Override
    public InputStream getRequestBody() {
        return body;
    }

    @Override
    public OutputStream getResponseBody() {
        return response;
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) {
        status = rCode;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return new InetSocketAddress("127.0.0.1", 50000);
    }

    @Override
    public int getResponseCode() {
        return status;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public String getProtocol() {
        return "HTTP/1.1";
    }

    @Override
    public @Nullable Object getAttribute(String name) {
        return null;
    }

    @Override
    public void setAttribute(String name, @Nullable Object value) {}

    @Override
    public void setStreams(@Nullable InputStream i, @Nullable OutputStream o) {}

    @Override
    public @Nullable HttpPrincipal getPrincipal() {
        return null;
    }
}
