package io.strongroom.server;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.strongroom.aws.archfixture.AwsReachingIntoKms;
import io.strongroom.control.cluster.archfixture.ClusterReachingIntoSnapshot;
import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.archfixture.CryptoReachingIntoStorage;
import io.strongroom.kms.KmsServer;
import io.strongroom.kms.model.archfixture.ModelReachingIntoService;
import io.strongroom.kms.service.KmsService;
import io.strongroom.pgwire.archfixture.PgwireReachingIntoCrypto;
import io.strongroom.pgwire.archfixture.PgwireReachingIntoThePlanner;
import io.strongroom.server.archfixture.one.NeedsTheOther;
import io.strongroom.server.archfixture.two.NeededBack;
import io.strongroom.sql.exec.Batch;
import io.strongroom.sql.parse.archfixture.ParseReachingIntoExec;
import io.strongroom.sql.plan.QueryPlanner;
import io.strongroom.storage.Store;
import io.strongroom.storage.format.archfixture.FormatReachingIntoStore;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package boundaries of {@code docs/architecture.md}, checked over the compiled main classes of every
 * module (this module sees them all). Maven already keeps a module from using one its {@code pom.xml} does not name;
 * these rules also catch what Maven lets through: a module reaching a module it only gets transitively, and cycles
 * between packages of one module.
 *
 * <p>Each rule is also run against a deliberate violation (classes in {@code archfixture} packages of this module's tests, placed
 * where they break a rule and never part of the product), so a rule that could never fail would fail here.
 */
class ArchitectureTest {
    private static JavaClasses product;

    @BeforeAll
    static void importProduct() {
        product = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ArchitectureTest::isProductClass)
                .importPackages("io.strongroom");
        assertThat(product.containPackage("io.strongroom.storage.format")).isTrue();
        assertThat(product.containPackage("io.strongroom.control.cluster")).isTrue();
        assertThat(product.containPackage("io.strongroom.control.lifecycle")).isTrue();
        assertThat(product.containPackage("io.strongroom.kms.model")).isTrue();
        assertThat(product.containPackage("io.strongroom.hsm.ttlv")).isTrue();
        assertThat(product.containPackage("io.strongroom.aws")).isTrue();
        assertThat(product.containPackage("io.strongroom.sql.exec")).isTrue();
    }

    /**
     * The product's compiled classes: a module's {@code target/classes} (a build that stops at {@code test}) or its
     * jar (a build that packages, as {@code verify} does); never test classes or test jars.
     */
    private static boolean isProductClass(Location location) {
        String where = location.asURI().toString();
        return !where.contains("-tests.jar")
                && (where.contains("/target/classes/") || where.matches(".*/strongroom-[a-z]+-[^/]*\\.jar.*"));
    }

    /**
     * Who may use whom: each module only the modules below it in the map. The SQL side ({@code sql}, {@code pgwire})
     * sees the error model in {@code base} but not the crypto core: the store holds the keys it needs. The AWS request
     * plumbing ({@code aws}: SigV4, credentials, HTTP server set-up) sees only {@code base}; the two AWS endpoints
     * ({@code kms}, {@code control}) and {@code server} use it.
     */
    static ArchRule modules() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("base")
                .definedBy("io.strongroom.base..")
                .layer("crypto")
                .definedBy("io.strongroom.crypto..")
                .layer("aws")
                .definedBy("io.strongroom.aws..")
                .layer("hsm")
                .definedBy("io.strongroom.hsm..")
                .layer("kms")
                .definedBy("io.strongroom.kms..")
                .layer("storage")
                .definedBy("io.strongroom.storage..")
                .layer("sql")
                .definedBy("io.strongroom.sql..")
                .layer("pgwire")
                .definedBy("io.strongroom.pgwire..")
                .layer("control")
                .definedBy("io.strongroom.control..")
                .layer("server")
                .definedBy("io.strongroom.server..")
                .whereLayer("server")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("control")
                .mayOnlyBeAccessedByLayers("server")
                .whereLayer("pgwire")
                .mayOnlyBeAccessedByLayers("server")
                .whereLayer("sql")
                .mayOnlyBeAccessedByLayers("pgwire", "server")
                .whereLayer("storage")
                .mayOnlyBeAccessedByLayers("sql", "pgwire", "control", "server")
                .whereLayer("kms")
                .mayOnlyBeAccessedByLayers("control", "server")
                .whereLayer("hsm")
                .mayOnlyBeAccessedByLayers("control", "server")
                .whereLayer("aws")
                .mayOnlyBeAccessedByLayers("kms", "control", "server")
                .whereLayer("crypto")
                .mayOnlyBeAccessedByLayers("hsm", "kms", "storage", "control", "server")
                .whereLayer("base")
                .mayOnlyBeAccessedByLayers(
                        "crypto", "aws", "hsm", "kms", "storage", "sql", "pgwire", "control", "server");
    }

    /**
     * The SQL engine's stages, bottom to top: {@code func} (values and scalar functions), {@code parse}, {@code
     * catalog}, then {@code plan} and {@code exec} side by side, {@code copy}, and {@code session} on top. Each may
     * use only the stages its {@code package-info.java} names: parsing never sees tables or the executor, the
     * planner never the executor, the executor never the parser or the planner (a plan arrives as Calcite's
     * operators), and nothing below the session sees the session.
     */
    static ArchRule sqlStages() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("func")
                .definedBy("io.strongroom.sql.func..")
                .layer("parse")
                .definedBy("io.strongroom.sql.parse..")
                .layer("catalog")
                .definedBy("io.strongroom.sql.catalog..")
                .layer("plan")
                .definedBy("io.strongroom.sql.plan..")
                .layer("exec")
                .definedBy("io.strongroom.sql.exec..")
                .layer("copy")
                .definedBy("io.strongroom.sql.copy..")
                .layer("session")
                .definedBy("io.strongroom.sql.session..")
                .whereLayer("session")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("copy")
                .mayOnlyBeAccessedByLayers("session")
                .whereLayer("exec")
                .mayOnlyBeAccessedByLayers("copy", "session")
                .whereLayer("plan")
                .mayOnlyBeAccessedByLayers("session")
                .whereLayer("catalog")
                .mayOnlyBeAccessedByLayers("plan", "exec", "session")
                .whereLayer("parse")
                .mayOnlyBeAccessedByLayers("catalog", "plan", "copy", "session");
    }

    /**
     * Outside the SQL module the engine is its public face ({@code io.strongroom.sql}) and the session package that
     * makes sessions ({@code StoreSqlEngine}); its stages are its own business.
     */
    static ArchRule sqlStagesStayInside() {
        return noClasses()
                .that()
                .resideOutsideOfPackage("io.strongroom.sql..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(
                        "io.strongroom.sql.func..",
                        "io.strongroom.sql.parse..",
                        "io.strongroom.sql.catalog..",
                        "io.strongroom.sql.plan..",
                        "io.strongroom.sql.exec..",
                        "io.strongroom.sql.copy.."));
    }

    /**
     * The storage codecs ({@code storage.format}) know bytes, keys, bindings and the store's data model (tables,
     * columns, types, vectors, the layout, the keys); never the store's machinery (opening, transactions, commits,
     * readers, rotation, snapshots, caches), which would make the format depend on how the store behaves.
     */
    static ArchRule formatIsBelowTheStore() {
        return noClasses()
                .that()
                .resideInAPackage("io.strongroom.storage.format..")
                .should()
                .dependOnClassesThat(storeMachinery());
    }

    /** Classes of the package {@code io.strongroom.storage} other than its data model (nested classes included). */
    private static DescribedPredicate<JavaClass> storeMachinery() {
        return new DescribedPredicate<>(
                "the store's machinery (io.strongroom.storage but its data model " + STORAGE_MODEL + ")") {
            @Override
            public boolean test(JavaClass c) {
                String top = c.getName().replaceFirst("\\$.*", "");
                return c.getPackageName().equals("io.strongroom.storage")
                        && !STORAGE_MODEL.contains(top.substring(top.lastIndexOf('.') + 1));
            }
        };
    }

    private static final Set<String> STORAGE_MODEL = Set.of(
            "ClusterLayout",
            "Column",
            "ColumnType",
            "ColumnVector",
            "DistStyle",
            "StoreKeys",
            "TableConstraint",
            "TableSpec");

    /**
     * The control plane's cluster packages, bottom to top: {@code cluster} (what a cluster is and the state every
     * operation shares), {@code snapshot}, {@code keys} (rotation, root key and encryption changes, coverage,
     * shredding), {@code lifecycle} (the door every operation comes through). Each may use only those below it, so
     * the shared state never learns of the operations built on it.
     */
    static ArchRule controlClusterPackages() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("cluster")
                .definedBy("io.strongroom.control.cluster..")
                .layer("snapshot")
                .definedBy("io.strongroom.control.snapshot..")
                .layer("keys")
                .definedBy("io.strongroom.control.keys..")
                .layer("lifecycle")
                .definedBy("io.strongroom.control.lifecycle..")
                .whereLayer("lifecycle")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("keys")
                .mayOnlyBeAccessedByLayers("lifecycle")
                .whereLayer("snapshot")
                .mayOnlyBeAccessedByLayers("keys", "lifecycle")
                .whereLayer("cluster")
                .mayOnlyBeAccessedByLayers("snapshot", "keys", "lifecycle");
    }

    /**
     * The KMS's packages, bottom to top: {@code model} (keys, grants, policies, aliases, the ciphertext blob, the API
     * error), then {@code store} (the sealed state file and master key) and {@code audit} (the trail as written),
     * which do not use each other, then {@code service} (the operations). Each may use only those below it.
     */
    static ArchRule kmsPackages() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("model")
                .definedBy("io.strongroom.kms.model..")
                .layer("store")
                .definedBy("io.strongroom.kms.store..")
                .layer("audit")
                .definedBy("io.strongroom.kms.audit..")
                .layer("service")
                .definedBy("io.strongroom.kms.service..")
                .whereLayer("service")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("store")
                .mayOnlyBeAccessedByLayers("service")
                .whereLayer("audit")
                .mayOnlyBeAccessedByLayers("service")
                .whereLayer("model")
                .mayOnlyBeAccessedByLayers("store", "audit", "service");
    }

    /**
     * The package cycles that exist today: a module's root package and its sub-packages need each other in kms and
     * storage (issue 13's split removes them; control's went with the split of {@code control.cluster}). In kms the
     * root's {@code KmsServer} builds the store and the service while the store's {@code MasterKeyFile} uses the
     * root's {@code PassphraseKey} and {@code http} the root's credentials; {@code kms.model} and {@code kms.audit}
     * stay out of it. Any other cycle, or one of these growing, fails.
     */
    private static final Set<Set<String>> KNOWN_CYCLES = Set.of(
            Set.of(
                    "io.strongroom.kms",
                    "io.strongroom.kms.http",
                    "io.strongroom.kms.service",
                    "io.strongroom.kms.store"),
            Set.of("io.strongroom.storage", "io.strongroom.storage.format"));

    /** The groups of packages that need each other (strongly connected, more than one package), in {@code classes}. */
    static Set<Set<String>> packageCycles(JavaClasses classes) {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (JavaClass c : classes) {
            Set<String> out = uses.computeIfAbsent(c.getPackageName(), p -> new TreeSet<>());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.startsWith("io.strongroom.") && !target.equals(c.getPackageName())) {
                    out.add(target);
                }
            }
        }
        Map<String, Set<String>> reach = new TreeMap<>();
        for (String p : uses.keySet()) {
            Set<String> seen = new TreeSet<>();
            Deque<String> todo = new ArrayDeque<>(uses.get(p));
            while (!todo.isEmpty()) {
                String q = todo.pop();
                if (seen.add(q)) {
                    todo.addAll(uses.getOrDefault(q, Set.of()));
                }
            }
            reach.put(p, seen);
        }
        Set<Set<String>> cycles = new HashSet<>();
        for (String p : reach.keySet()) {
            Set<String> group = new TreeSet<>();
            for (String q : reach.get(p)) {
                if (reach.getOrDefault(q, Set.of()).contains(p)) {
                    group.add(q);
                }
            }
            if (group.size() > 1) {
                cycles.add(Set.copyOf(group));
            }
        }
        return cycles;
    }

    @Test
    void modulesUseOnlyTheModulesBelowThem() {
        modules().check(product);
    }

    @Test
    void sqlStagesUseOnlyTheStagesBelowThem() {
        sqlStages().check(product);
    }

    @Test
    void sqlStagesAreNotUsedOutsideTheSqlModule() {
        sqlStagesStayInside().check(product);
    }

    @Test
    void storageFormatDoesNotReachIntoTheStore() {
        formatIsBelowTheStore().check(product);
    }

    @Test
    void controlClusterPackagesDependOneWay() {
        controlClusterPackages().check(product);
    }

    @Test
    void kmsPackagesDependOneWay() {
        kmsPackages().check(product);
    }

    @Test
    void noPackageCyclesButTheKnownOnes() {
        assertThat(packageCycles(product))
                .as("groups of packages that need each other")
                .allSatisfy(cycle -> assertThat(KNOWN_CYCLES)
                        .anySatisfy(known -> assertThat(known).containsAll(cycle)));
    }

    @Test
    void theRulesFailOnDeliberateViolations() {
        JavaClasses bad = new ClassFileImporter()
                .importClasses(
                        CryptoReachingIntoStorage.class,
                        PgwireReachingIntoCrypto.class,
                        SecretBytes.class,
                        AwsReachingIntoKms.class,
                        KmsServer.class,
                        FormatReachingIntoStore.class,
                        Store.class,
                        NeedsTheOther.class,
                        NeededBack.class,
                        ClusterReachingIntoSnapshot.class,
                        SnapshotPolicy.class,
                        ModelReachingIntoService.class,
                        KmsService.class,
                        ParseReachingIntoExec.class,
                        Batch.class,
                        PgwireReachingIntoThePlanner.class,
                        QueryPlanner.class);
        EvaluationResult layers = modules().evaluate(bad);
        assertThat(layers.hasViolation()).isTrue();
        assertThat(layers.getFailureReport().toString())
                .contains("CryptoReachingIntoStorage")
                .contains("PgwireReachingIntoCrypto")
                .contains("AwsReachingIntoKms");
        EvaluationResult format = formatIsBelowTheStore().evaluate(bad);
        assertThat(format.hasViolation()).isTrue();
        assertThat(format.getFailureReport().toString()).contains("FormatReachingIntoStore");
        EvaluationResult control = controlClusterPackages().evaluate(bad);
        assertThat(control.hasViolation()).isTrue();
        assertThat(control.getFailureReport().toString()).contains("ClusterReachingIntoSnapshot");
        EvaluationResult kms = kmsPackages().evaluate(bad);
        assertThat(kms.hasViolation()).isTrue();
        assertThat(kms.getFailureReport().toString()).contains("ModelReachingIntoService");
        EvaluationResult stages = sqlStages().evaluate(bad);
        assertThat(stages.hasViolation()).isTrue();
        assertThat(stages.getFailureReport().toString()).contains("ParseReachingIntoExec");
        EvaluationResult inside = sqlStagesStayInside().evaluate(bad);
        assertThat(inside.hasViolation()).isTrue();
        assertThat(inside.getFailureReport().toString()).contains("PgwireReachingIntoThePlanner");
        assertThat(packageCycles(bad))
                .containsExactly(
                        Set.of("io.strongroom.server.archfixture.one", "io.strongroom.server.archfixture.two"));
    }
}
