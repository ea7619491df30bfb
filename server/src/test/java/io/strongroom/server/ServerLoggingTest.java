package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's log format: a failure is one line naming its request id, followed by its stack. */
class ServerLoggingTest {
    private static final String PROPERTY = "java.util.logging.SimpleFormatter.format";

    @AfterEach
    void restore() {
        System.clearProperty(PROPERTY);
    }

    @Test
    void aFailureIsOneLineWithItsRequestId_thenItsStack() {
        System.clearProperty(PROPERTY);
        ServerLogging.configure();
        LogRecord r = new LogRecord(Level.SEVERE, "Redshift API request 1234-abcd failed inside the control plane");
        r.setLoggerName("io.strongroom.control.api.RedshiftHttpHandler");
        r.setThrown(new IllegalStateException("broken"));
        String[] lines = new SimpleFormatter().format(r).split("\n");
        assertThat(lines[0])
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4} SEVERE"
                        + " io\\.strongroom\\.control\\.api\\.RedshiftHttpHandler: Redshift API request 1234-abcd"
                        + " failed inside the control plane");
        assertThat(lines[1]).isEqualTo("java.lang.IllegalStateException: broken");
        assertThat(lines[2]).contains("at io.strongroom.server.ServerLoggingTest.");
    }

    @Test
    void anOperatorsOwnFormatIsLeftAlone() {
        System.setProperty(PROPERTY, "%5$s%n");
        ServerLogging.configure();
        assertThat(System.getProperty(PROPERTY)).isEqualTo("%5$s%n");
    }
}
