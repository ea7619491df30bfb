package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazon.redshift.RedshiftConnection;
import io.strongroom.aws.Credential;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Amazon's Redshift JDBC driver in its IAM mode ({@code jdbc:redshift:iam://}, with the AWS SDK for Java v1 it
 * needs on the class path) logs in through Strongroom's {@code GetClusterCredentials}: the driver signs the API call
 * with the access key it is given, sent to Strongroom's Redshift API ({@code EndpointUrl}), and logs in as the
 * {@code IAM:admin} user it gets back, over TLS verified against the installation's CA. Through that connection a
 * 200,000-row result is fetched through a cursor with a fetch size, checked by count and checksum; a wrong secret
 * key is refused before any SQL connection.
 */
class RedshiftJdbcIamIT {
    private static final int ROWS = 200_000;

    @RegisterExtension
    final ServerStack stack = ServerStack.builder("rsiam").cluster("rs1").build();

    /** The IAM URL as README documents it; the secret key is a property, never part of the URL. */
    private Connection connectIam(String accessKeyId, String secretAccessKey) throws Exception {
        Path root = stack.ca();
        Driver d = (Driver) Class.forName("com.amazon.redshift.jdbc.Driver")
                .getDeclaredConstructor()
                .newInstance();
        String url =
                "jdbc:redshift:iam://127.0.0.1:" + stack.port() + "/dev?ClusterID=rs1&Region=us-east-1&DbUser=admin"
                        + "&EndpointUrl=" + stack.endpoint() + "&IAMDisableCache=true"
                        + "&ssl=true&sslmode=verify-full&sslrootcert=" + root;
        Properties p = new Properties();
        p.setProperty("AccessKeyID", accessKeyId);
        p.setProperty("SecretAccessKey", secretAccessKey);
        Connection c = d.connect(url, p);
        assertThat(c).as("the Redshift driver accepts the IAM URL").isNotNull();
        return c;
    }

    @Test
    void iamLogin_throughGetClusterCredentials_fetchesALargeResultThroughACursor() throws Exception {
        Credential admin = stack.admin();
        try (Connection c = connectIam(admin.accessKeyId(), admin.secretAccessKey())) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_user")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("IAM:admin");
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE big (id BIGINT, v BIGINT)");
            }
            StringBuilder csv = new StringBuilder();
            long expectedSum = 0;
            for (long i = 0; i < ROWS; i++) {
                long v = (i * 7919) % 100_003;
                csv.append(i).append(',').append(v).append('\n');
                expectedSum += i * 31 + v;
            }
            long copied = ((RedshiftConnection) c)
                    .getCopyAPI()
                    .copyIn(
                            "COPY big FROM STDIN WITH CSV",
                            new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            assertThat(copied).isEqualTo(ROWS);

            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(1000);
                long n = 0;
                long sum = 0;
                try (ResultSet rs = st.executeQuery("SELECT id, v FROM big")) {
                    while (rs.next()) {
                        n++;
                        sum += rs.getLong(1) * 31 + rs.getLong(2);
                    }
                }
                assertThat(n).isEqualTo(ROWS);
                assertThat(sum).as("checksum over every row").isEqualTo(expectedSum);
            }
            c.commit();
        }
        // A wrong secret key: the API refuses the signature, and the driver says so; no SQL connection is made.
        assertThatThrownBy(() -> connectIam(admin.accessKeyId(), "not-the-secret-key-000000000000000000000"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("IAM error retrieving temp credentials")
                .hasMessageContaining("SignatureDoesNotMatch");
    }
}
