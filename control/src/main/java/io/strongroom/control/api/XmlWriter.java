package io.strongroom.control.api;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** A minimal streaming XML writer for API responses: elements and escaped text. Not thread-safe. */
final class XmlWriter {
    static final String NAMESPACE = "http://redshift.amazonaws.com/doc/2012-12-01/";
    private final StringBuilder sb = new StringBuilder(2048);

    XmlWriter root(String name) {
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<")
                .append(name)
                .append(" xmlns=\"")
                .append(NAMESPACE)
                .append("\">");
        return this;
    }

    XmlWriter open(String name) {
        sb.append('<').append(name).append('>');
        return this;
    }

    XmlWriter close(String name) {
        sb.append("</").append(name).append('>');
        return this;
    }

    XmlWriter empty(String name) {
        sb.append('<').append(name).append("/>");
        return this;
    }

    XmlWriter text(String name, String value) {
        open(name);
        escape(value);
        return close(name);
    }

    XmlWriter text(String name, long value) {
        return text(name, Long.toString(value));
    }

    XmlWriter text(String name, boolean value) {
        return text(name, Boolean.toString(value));
    }

    /** ISO-8601 UTC with milliseconds, as the real service writes timestamps. */
    XmlWriter time(String name, Instant t) {
        return text(name, DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS)));
    }

    /**
     * Escapes markup characters, and replaces with U+FFFD every character XML 1.0 cannot carry at all, not even as a
     * character reference (controls other than tab, LF and CR; U+FFFE and U+FFFF; unpaired surrogates): a response
     * that echoes such input must still parse, or one bad value would break every listing that shows it.
     */
    private void escape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    if (Character.isHighSurrogate(c)
                            && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t')
                            || c == 0xFFFE
                            || c == 0xFFFF
                            || Character.isSurrogate(c)) {
                        sb.append('\uFFFD');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
