#include "renderdash.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "contract.h"
#include "dashgen.h"
#include "readfile.h"
#include "util.h"

static cJSON *load_templates(const char *path)
{
    char err[256];
    struct strbuf text;
    sb_init(&text);
    cJSON *t = NULL;
    if (doc_read_file(path, 4 << 20, &text, err, sizeof(err)) != READ_FILE_OK)
        fprintf(stderr, "doctor: %s\n", err);
    else if (!(t = cJSON_Parse(sb_str(&text))))
        fprintf(stderr, "doctor: %s: not valid JSON\n", path);
    sb_free(&text);
    return t;
}

/* Renders one file; *changed says whether it was rewritten. */
static int render_file(const char *path, const cJSON *templates, const struct contract *c,
                       int *changed)
{
    char err[512];
    struct strbuf text, out, notes;
    sb_init(&text);
    sb_init(&out);
    sb_init(&notes);
    int rc = 0;
    if (doc_read_file(path, 4 << 20, &text, err, sizeof(err)) != READ_FILE_OK) {
        fprintf(stderr, "doctor: %s\n", err);
        rc = 2;
    } else if (doc_dashgen_render(sb_str(&text), templates, c, &out, &notes, err, sizeof(err))) {
        fprintf(stderr, "doctor: %s: %s\n", path, err);
        rc = 2;
    } else {
        const char *n = sb_str(&notes), *nl;
        for (; (nl = strchr(n, '\n')); n = nl + 1)
            fprintf(stderr, "doctor: %s: %.*s\n", path, (int)(nl - n), n);
        *changed = strcmp(sb_str(&text), sb_str(&out)) != 0;
        if (*changed && atomic_file_replace(path, sb_str(&out), strlen(sb_str(&out)), 0644, err,
                                            sizeof(err)) != 0) {
            fprintf(stderr, "doctor: %s\n", err);
            rc = 2;
        }
    }
    sb_free(&text);
    sb_free(&out);
    sb_free(&notes);
    return rc;
}

int doc_render_dashboards(const char *contract_path, const char *templates_path, const char *dir)
{
    struct contract c;
    char err[512];
    if (ct_load_file(contract_path, &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "doctor: %s\n", err);
        return 2;
    }
    cJSON *templates = load_templates(templates_path);
    if (!templates)
        return 2;
    char **names;
    long n = doc_list_dir(dir, ".json", &names);
    if (n < 0) {
        fprintf(stderr, "doctor: %s: cannot read the dashboards directory\n", dir);
        cJSON_Delete(templates);
        return 2;
    }
    int rc = 0, nchanged = 0;
    for (long i = 0; i < n; i++) {
        int changed = 0;
        if (render_file(names[i], templates, &c, &changed) != 0)
            rc = 2;
        nchanged += changed;
    }
    doc_free_list(names, (size_t)n);
    cJSON_Delete(templates);
    if (rc == 0)
        printf("%ld dashboard(s) in %s rendered from %s: %d rewritten\n", n, dir, contract_path,
               nchanged);
    return rc;
}
