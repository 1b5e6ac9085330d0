package imr.solr;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.cloud.ZkTestServer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * One process of a local SolrCloud: the embedded ZooKeeper, or one Solr node.
 *
 * <pre>
 *   Launcher zk   --port 9983 --dir DIR
 *   Launcher node --port 8983 --zk 127.0.0.1:9983 --home DIR
 * </pre>
 *
 * Each node runs in a process of its own so that a test can kill one node (its process id)
 * and see the cluster answer from the other's replicas. Everything listens on 127.0.0.1 only.
 * The process runs until it is signalled; when it is ready it writes the file "ready" in its
 * folder (scripts/solr-cluster waits for it).
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        Map<String, String> options = options(args);
        switch (args[0]) {
            case "zk" -> runZooKeeper(options);
            case "node" -> runNode(options);
            default -> usage();
        }
    }

    private static void runZooKeeper(Map<String, String> options) throws Exception {
        int port = Integer.parseInt(required(options, "port"));
        Path dir = Path.of(required(options, "dir")).toAbsolutePath();
        Files.createDirectories(dir);
        ZkTestServer server = new ZkTestServer(dir.resolve("data"), port);
        server.run(false);
        serveUntilSignalled(server::shutdown, dir, server.getZkAddress());
    }

    private static void runNode(Map<String, String> options) throws Exception {
        int port = Integer.parseInt(required(options, "port"));
        String zkHost = required(options, "zk");
        Path home = Path.of(required(options, "home")).toAbsolutePath();
        Files.createDirectories(home);
        try (var solrXml = Launcher.class.getResourceAsStream("/solr.xml")) {
            Files.copy(solrXml, home.resolve("solr.xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        Properties nodeProperties = new Properties();
        nodeProperties.setProperty("zkHost", zkHost);
        nodeProperties.setProperty("hostPort", Integer.toString(port));
        JettyConfig config = JettyConfig.builder().setPort(port).setContext("/solr").build();
        JettySolrRunner node = new JettySolrRunner(home.toString(), nodeProperties, config);
        node.start();
        serveUntilSignalled(node::stop, home, node.getBaseUrl().toString());
    }

    /** Says it is ready, then waits until the process is signalled; `stop` runs on the way out. */
    private static void serveUntilSignalled(Stopper stop, Path dir, String address)
            throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop.stop();
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }));
        ready(dir, address);
        stopped.await();
    }

    @FunctionalInterface
    private interface Stopper {
        void stop() throws Exception;
    }

    private static void ready(Path dir, String address) throws Exception {
        Path temporary = dir.resolve("ready.tmp");
        Files.writeString(temporary, address + "\n", StandardCharsets.UTF_8);
        Files.move(temporary, dir.resolve("ready"), StandardCopyOption.ATOMIC_MOVE);
        System.out.println("ready " + address);
        System.out.flush();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage();
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isEmpty()) {
            System.err.println("missing --" + name);
            usage();
        }
        return value;
    }

    private static void usage() {
        System.err.println("usage: Launcher zk --port N --dir DIR | node --port N --zk HOST:PORT --home DIR");
        System.exit(2);
    }
}
