<?php
/**
 * Installs (or, with `reset`, reinstalls from nothing) the tests' stock WordPress through
 * WordPress's own installer API, so the site is what a new user of Debian's `wordpress`
 * package gets: `wp_install()` creates the tables, then the options a site owner sets in the
 * admin screens (pretty permalinks, a time zone, search engines allowed, which keeps the core
 * sitemaps on, theme Twenty Twenty-Three, no plugins).
 *
 * Usage (as root, MariaDB running): php install.php URL [reset]
 *   URL    the site's address, e.g. http://127.0.0.1:18080 (its host names Debian's per-host
 *          config file, /etc/wordpress/config-<host>.php, which this script writes once).
 *   reset  drop the site's tables and install again: every post, user and option goes.
 *
 * The database and its user are created if missing, as MariaDB's root (socket authentication,
 * so only when run as root); that and dropping the tables on reset are the only statements
 * written here.
 */

const DB_NAME_ = 'pvdn_wordpress';
const DB_USER_ = 'pvdn_wordpress';
const DB_PASSWORD_ = 'pvdn-wordpress-test';
const TIMEZONE = 'America/Mexico_City';
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'pvdn-wordpress-admin';

if (PHP_SAPI !== 'cli') {
    exit(1);
}
$url = rtrim($argv[1] ?? '', '/');
$reset = ($argv[2] ?? '') === 'reset';
$parts = parse_url($url);
if (!$parts || ($parts['scheme'] ?? '') !== 'http' || empty($parts['host'])) {
    fwrite(STDERR, "usage: php install.php http://HOST:PORT [reset]\n");
    exit(2);
}
$host = $parts['host'];
$config = "/etc/wordpress/config-$host.php";

// As root (how .ci/run runs it) the database is made sure of every time, so a MariaDB whose
// data was wiped gets it back; the config file is written once.
if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
    create_database();
}
if (!file_exists($config)) {
    write_config($config);
}

// Debian's wp-config.php picks the per-host file from the Host header, as under Apache.
$_SERVER['HTTP_HOST'] = $host . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['SERVER_NAME'] = $host;
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require_once '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if ($reset) {
    drop_tables();
}
if (!is_blog_installed()) {
    // The installer mails the new admin; the test machine has no mail to send it with.
    add_filter('pre_wp_mail', '__return_false');
    // The installer stores these two as the site's address; it reads them from the request.
    define('WP_SITEURL', $url);
    $result = wp_install('Vallarta Test Daily', ADMIN_USER, 'admin@example.invalid', true, '',
        ADMIN_PASSWORD);
    update_option('home', $url);
    update_option('siteurl', $url);
}
configure_site($url);
echo json_encode([
    'url' => home_url('/'),
    'wordpress' => get_bloginfo('version'),
    'theme' => get_stylesheet(),
    'permalinks' => get_option('permalink_structure'),
    'timezone' => get_option('timezone_string'),
]), "\n";

/** The database and its user, created as MariaDB's root over the local socket. */
function create_database(): void
{
    $db = new mysqli('localhost', 'root');
    $db->query('CREATE DATABASE IF NOT EXISTS ' . DB_NAME_ . ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    $db->query("CREATE USER IF NOT EXISTS '" . DB_USER_ . "'@'localhost' IDENTIFIED BY '" . DB_PASSWORD_ . "'");
    $db->query('GRANT ALL PRIVILEGES ON ' . DB_NAME_ . ".* TO '" . DB_USER_ . "'@'localhost'");
    $db->close();
}

/** Debian's per-host config, from the package's own example, with fresh secret keys. */
function write_config(string $path): void
{
    $keys = '';
    foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
              'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $name) {
        $keys .= "define('$name', '" . bin2hex(random_bytes(32)) . "');\n";
    }
    $text = "<?php\n"
        . "// Written by pvdn-archive's tests/wordpress/install.php: a test site on 127.0.0.1.\n"
        . "define('DB_NAME', '" . DB_NAME_ . "');\n"
        . "define('DB_USER', '" . DB_USER_ . "');\n"
        . "define('DB_PASSWORD', '" . DB_PASSWORD_ . "');\n"
        . "define('DB_HOST', 'localhost');\n"
        . "define('DB_CHARSET', 'utf8mb4');\n"
        . "define('DB_COLLATE', '');\n"
        . $keys
        . "define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');\n"
        . "define('FS_METHOD', 'direct');\n"
        . "// Offline and deterministic: no calls to wordpress.org, no cron run by page views\n"
        . "// (scheduled posts stay scheduled), no automatic updates.\n"
        . "define('WP_HTTP_BLOCK_EXTERNAL', true);\n"
        . "define('DISABLE_WP_CRON', true);\n"
        . "define('AUTOMATIC_UPDATER_DISABLED', true);\n"
        . "define('WP_DEBUG', false);\n";
    file_put_contents($path, $text);
    chmod($path, 0640);
    chgrp($path, 'www-data');
}

/** Every table of the site (WordPress's own list of them), so the next install starts empty. */
function drop_tables(): void
{
    global $wpdb;
    foreach ($wpdb->tables('all', true) as $table) {
        $wpdb->query("DROP TABLE IF EXISTS `$table`");
    }
    wp_cache_flush();
    $uploads = WP_CONTENT_DIR . '/uploads';
    foreach (glob("$uploads/*", GLOB_ONLYDIR) ?: [] as $dir) {
        remove_tree($dir);
    }
}

function remove_tree(string $dir): void
{
    foreach (scandir($dir) ?: [] as $name) {
        if ($name === '.' || $name === '..') {
            continue;
        }
        $path = "$dir/$name";
        is_dir($path) && !is_link($path) ? remove_tree($path) : unlink($path);
    }
    rmdir($dir);
}

/** The settings a site owner makes in Settings and Appearance, through the options API. */
function configure_site(string $url): void
{
    update_option('blogname', 'Vallarta Test Daily');
    update_option('blogdescription', 'Invented local news for pvdn-archive’s tests');
    update_option('blog_public', '1');
    update_option('timezone_string', TIMEZONE);
    update_option('gmt_offset', '');
    update_option('date_format', 'F j, Y');
    update_option('time_format', 'g:i a');
    update_option('posts_per_page', 10);
    update_option('posts_per_rss', 10);
    update_option('rss_use_excerpt', 0);
    update_option('default_comment_status', 'closed');
    update_option('default_ping_status', 'closed');
    update_option('active_plugins', []);
    if (get_stylesheet() !== 'twentytwentythree') {
        switch_theme('twentytwentythree');
    }
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure('/%postname%/');
    flush_rewrite_rules(false);
}
