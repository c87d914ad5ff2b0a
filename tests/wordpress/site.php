<?php
/**
 * Applies a plan to the tests' WordPress through WordPress's own PHP API, in one process:
 * users (`wp_insert_user`), terms (`wp_insert_term`), posts and pages (`wp_insert_post`),
 * images (`wp_insert_attachment` + `wp_generate_attachment_metadata`), settings
 * (`update_option`), edits (`wp_update_post`) and trashing (`wp_trash_post`).
 *
 * Usage: php site.php URL < plan.json > result.json
 *
 * The plan (written by tests/wordpress_site.py) names every object by a key of its own; post
 * content refers to objects inserted EARLIER in the plan with placeholders, replaced here once
 * their ids and permalinks exist:
 *   {{url:KEY}}       the permalink            {{noslash:KEY}}  the permalink without its slash
 *   {{p:KEY}}         HOME/?p=ID               {{rel:KEY}}      the permalink's path only
 *   {{utm:KEY:NAME}}  the permalink with utm_source/utm_medium/utm_campaign=NAME
 *   {{id:KEY}}        the id                   {{src:KEY}}      an image's file URL
 *   {{home}}          the site's home URL without its trailing slash
 * An image that belongs to a post is uploaded just before it and attached to it just after;
 * the post links the image's attachment page, which must then be where it said.
 *
 * The result maps every key to what WordPress made of it (id, status, permalink, dates with
 * their offset, author, terms, the content as stored).
 */

if (PHP_SAPI !== 'cli') {
    exit(1);
}
$url = rtrim($argv[1] ?? '', '/');
$parts = parse_url($url);
if (!$parts || empty($parts['host'])) {
    fwrite(STDERR, "usage: php site.php http://HOST:PORT < plan.json\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
require_once '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/post.php';

$plan = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
// The site's administrator does the work, so content keeps its markup (unfiltered_html).
wp_set_current_user(1);
add_filter('pre_wp_mail', '__return_false');
wp_defer_term_counting(true);

$ids = [];  // key => id, of this plan's objects and of the earlier ones it names
foreach ($plan['known'] ?? [] as $key => $id) {
    $ids[$key] = (int) $id;
}
$touched = [];
$predicted = [];  // key => the attachment page an image will have once attached

if (!empty($plan['clear'])) {
    // A fresh install's sample content (a post, a page, a draft privacy page) goes first.
    $stock = get_posts(['post_type' => ['post', 'page', 'attachment'], 'post_status' => 'any',
        'numberposts' => -1, 'fields' => 'ids']);
    foreach ($stock as $id) {
        wp_delete_post($id, true);
    }
}
foreach ($plan['users'] ?? [] as $user) {
    $id = wp_insert_user([
        'user_login' => $user['login'],
        'user_pass' => wp_generate_password(24),
        'user_email' => $user['login'] . '@example.invalid',
        'user_nicename' => $user['nicename'],
        'display_name' => $user['display_name'],
        'first_name' => $user['first_name'],
        'last_name' => $user['last_name'],
        'description' => $user['description'],
        'role' => $user['role'],
    ]);
    $ids[$user['key']] = must($id, 'user ' . $user['login']);
}
foreach ($plan['terms'] ?? [] as $term) {
    $made = wp_insert_term($term['name'], $term['taxonomy'],
        ['slug' => $term['slug'], 'description' => $term['description']]);
    $ids[$term['key']] = must(is_wp_error($made) ? $made : $made['term_id'], 'term ' . $term['slug']);
}
foreach ($plan['posts'] ?? [] as $post) {
    insert_post($post, $ids);
    $touched[] = $post['key'];
    if (!empty($post['image'])) {
        $touched[] = $post['image']['key'];
    }
}
foreach ($plan['edits'] ?? [] as $edit) {
    $id = $ids[$edit['key']];
    $args = ['ID' => $id, 'post_content' => resolve($edit['content'], $ids)];
    if (isset($edit['title'])) {
        $args['post_title'] = $edit['title'];
    }
    must(wp_update_post($args, true), 'edit ' . $edit['key']);
    $touched[] = $edit['key'];
}
foreach ($plan['trash'] ?? [] as $key) {
    if (!wp_trash_post($ids[$key])) {
        fail("could not trash $key");
    }
    $touched[] = $key;
}
foreach ($plan['options'] ?? [] as $name => $value) {
    // A value "key:NAME" stands for the id of that object (e.g. page_for_posts).
    if (is_string($value) && str_starts_with($value, 'key:')) {
        $value = $ids[substr($value, 4)];
    }
    update_option($name, $value);
}
wp_defer_term_counting(false);
if (!empty($plan['options'])) {
    flush_rewrite_rules(false);
}

$objects = [];
foreach ($touched as $key) {
    $objects[$key] = describe(get_post($ids[$key]));
}
$terms = [];
foreach ($plan['terms'] ?? [] as $term) {
    $found = get_term($ids[$term['key']], $term['taxonomy']);
    $terms[$term['key']] = [
        'id' => $found->term_id, 'name' => $found->name, 'slug' => $found->slug,
        'taxonomy' => $found->taxonomy, 'url' => get_term_link($found), 'count' => $found->count,
    ];
}
$users = [];
foreach ($plan['users'] ?? [] as $user) {
    $found = get_userdata($ids[$user['key']]);
    $users[$user['key']] = [
        'id' => $found->ID, 'display_name' => $found->display_name,
        'nicename' => $found->user_nicename, 'url' => get_author_posts_url($found->ID),
    ];
}
echo json_encode([
    'home' => home_url('/'),
    'timezone' => wp_timezone_string(),
    'ids' => $ids,
    'objects' => $objects,
    'terms' => $terms,
    'users' => $users,
], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), "\n";

/** One post or page, and its image if it has one. */
function insert_post(array $post, array &$ids): void
{
    $args = [
        'post_type' => $post['type'],
        'post_title' => $post['title'],
        'post_name' => $post['slug'],
        'post_author' => $ids[$post['author']],
        'post_date' => $post['date'],
        'post_excerpt' => '',
        'comment_status' => 'closed',
        'ping_status' => 'closed',
        'menu_order' => $post['menu_order'] ?? 0,
    ];
    if ($post['type'] === 'post') {
        $args['post_category'] = array_map(fn ($k) => $ids[$k], $post['categories']);
        $args['tags_input'] = array_map(fn ($k) => $ids[$k], $post['tags']);
    }
    $image = $post['image'] ?? null;
    if ($image) {
        // Uploaded first, then attached once the post exists; the post's content links the
        // attachment page at the address it will have then (checked below).
        $ids[$image['key']] = insert_image($image, $post['date'], $ids[$post['author']]);
        $GLOBALS['predicted'][$image['key']] = home_url('/' . $post['slug'] . '/' . $image['slug'] . '/');
    }
    $args['post_status'] = $post['status'];
    $args['post_content'] = resolve($post['content'], $ids);
    $id = must(wp_insert_post($args, true), 'post ' . $post['key']);
    $ids[$post['key']] = $id;
    if (get_post_status($id) !== $post['status']) {
        fail($post['key'] . ' has status ' . get_post_status($id) . ', not ' . $post['status']);
    }
    if ($image) {
        $attachment = $ids[$image['key']];
        must(wp_update_post(['ID' => $attachment, 'post_parent' => $id], true), 'attach ' . $image['key']);
        if (!empty($image['featured'])) {
            set_post_thumbnail($id, $attachment);
        }
        if (get_permalink($attachment) !== $GLOBALS['predicted'][$image['key']]) {
            fail($image['key'] . ' is at ' . get_permalink($attachment) . ', not where ' . $post['key'] . ' links it');
        }
    }
}

/** A JPEG drawn here (a colour field and a few bands, from the plan's numbers), uploaded into
 * the month folder of its post's date and attached to the post with its sizes. */
function insert_image(array $image, string $date, int $author): int
{
    [$width, $height] = [$image['width'], $image['height']];
    $canvas = imagecreatetruecolor($width, $height);
    [$r, $g, $b] = $image['color'];
    imagefill($canvas, 0, 0, imagecolorallocate($canvas, $r, $g, $b));
    foreach ($image['bands'] as $i => $band) {
        $colour = imagecolorallocate($canvas, ($r + 60 * ($i + 1)) % 256, ($g + 90 * ($i + 1)) % 256, $b);
        imagefilledrectangle($canvas, 0, (int) ($band * $height), $width, (int) ($band * $height) + $height / 12, $colour);
    }
    $folder = wp_upload_dir(substr($date, 0, 4) . '/' . substr($date, 5, 2));
    $file = $folder['path'] . '/' . $image['slug'] . '.jpg';
    imagejpeg($canvas, $file, 82);
    imagedestroy($canvas);
    $id = must(wp_insert_attachment([
        'post_title' => $image['title'],
        'post_name' => $image['slug'],
        'post_excerpt' => $image['caption'],
        'post_content' => $image['description'],
        'post_mime_type' => 'image/jpeg',
        'post_status' => 'inherit',
        'post_date' => $date,
        'post_author' => $author,
        'guid' => $folder['url'] . '/' . basename($file),
    ], $file, 0, true), 'image ' . $image['key']);
    update_post_meta($id, '_wp_attachment_image_alt', $image['alt']);
    wp_update_attachment_metadata($id, wp_generate_attachment_metadata($id, $file));
    return $id;
}

function resolve(string $content, array $ids): string
{
    return preg_replace_callback('/\{\{(\w+)(?::([\w-]+))?(?::([\w-]+))?\}\}/', function ($m) use ($ids) {
        [$kind, $key, $extra] = [$m[1], $m[2] ?? '', $m[3] ?? ''];
        if ($kind === 'home') {
            return untrailingslashit(home_url('/'));
        }
        if (!isset($ids[$key])) {
            fail("unknown key $key in $m[0]");
        }
        $id = $ids[$key];
        $link = $GLOBALS['predicted'][$key] ?? get_permalink($id);
        return match ($kind) {
            'url' => $link,
            'noslash' => untrailingslashit($link),
            'p' => home_url('/?p=' . $id),
            'rel' => wp_make_link_relative($link),
            'utm' => $link . '?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=' . $extra,
            'id' => (string) $id,
            'src' => wp_get_attachment_url($id),
            default => fail("unknown placeholder $m[0]"),
        };
    }, $content);
}

/** What a test needs to know of one object, as WordPress reports it. */
function describe(WP_Post $post): array
{
    $local = get_post_datetime($post, 'date');
    $modified = get_post_datetime($post, 'modified');
    $data = [
        'id' => $post->ID,
        'type' => $post->post_type,
        'status' => $post->post_status,
        'slug' => $post->post_name,
        'title' => $post->post_title,
        'url' => get_permalink($post),
        'shortlink' => home_url('/?p=' . $post->ID),
        'date' => $local ? $local->format('c') : null,
        'modified' => $modified ? $modified->format('c') : null,
        'author' => (int) $post->post_author,
        'parent' => $post->post_parent,
        'content' => $post->post_content,
    ];
    if ($post->post_type === 'post') {
        $data['categories'] = wp_get_post_categories($post->ID, ['fields' => 'names']);
        $data['tags'] = wp_get_post_tags($post->ID, ['fields' => 'names']);
        $data['thumbnail'] = (int) get_post_thumbnail_id($post);
    }
    if ($post->post_type === 'attachment') {
        $data['file_url'] = wp_get_attachment_url($post->ID);
    }
    return $data;
}

/** The id, or the end of the run with WordPress's own error message. */
function must($result, string $what): int
{
    if (is_wp_error($result)) {
        fail("$what: " . $result->get_error_message());
    }
    if (!$result) {
        fail("$what: WordPress returned nothing");
    }
    return (int) $result;
}

function fail(string $message): never
{
    fwrite(STDERR, "site.php: $message\n");
    exit(3);
}
