import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw, type Router } from "vue-router";

import { useSessionStore } from "@/stores/session";

import { safeRedirect } from "./redirect";

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
    requiresAdmin?: boolean;
    /** i18n key of the page's title. */
    title?: string;
    /** Which sidebar entry is current. */
    section?: string;
  }
}

const projectId = (route: RouteLocationNormalized) => ({ projectId: Number(route.params.projectId) });

function uploadRoutes(kind: "training_data" | "item_meta_data", path: string, name: string): RouteRecordRaw[] {
  const meta = { section: kind };
  return [
    {
      path: `projects/:projectId(\\d+)/${path}`,
      name,
      component: () => import("@/features/data/DataListPage.vue"),
      props: (route) => ({ ...projectId(route), kind }),
      meta: { ...meta, title: kind === "training_data" ? "data.list.titleTraining" : "data.list.titleItemMeta" },
    },
    {
      path: `projects/:projectId(\\d+)/${path}/upload`,
      name: `${name}-upload`,
      component: () => import("@/features/data/DataUploadPage.vue"),
      props: (route) => ({ ...projectId(route), kind }),
      meta: { ...meta, title: kind === "training_data" ? "data.upload.titleTraining" : "data.upload.titleItemMeta" },
    },
    {
      path: `projects/:projectId(\\d+)/${path}/:uploadId(\\d+)`,
      name: `${name}-detail`,
      component: () => import("@/features/data/DataDetailPage.vue"),
      props: (route) => ({ ...projectId(route), kind, uploadId: Number(route.params.uploadId) }),
      meta: { ...meta, title: kind === "training_data" ? "data.list.titleTraining" : "data.list.titleItemMeta" },
    },
  ];
}

// Paths under /api/, /ws/, /admin/, /static/, /inference/ and /assets/ belong to nginx's
// other routes: no page of the SPA may live there.
export const routes: RouteRecordRaw[] = [
  {
    path: "/login",
    name: "login",
    component: () => import("@/features/auth/AuthLoginPage.vue"),
    meta: { public: true, title: "auth.login.title" },
  },
  {
    path: "/",
    // Loaded with the first signed-in page: the sign-in page needs none of the shell.
    component: () => import("@/features/shell/ShellLayout.vue"),
    children: [
      { path: "", redirect: { name: "projects" } },
      {
        path: "projects",
        name: "projects",
        component: () => import("@/features/projects/ProjectsListPage.vue"),
        meta: { title: "projects.list.title", section: "projects" },
      },
      {
        path: "projects/:projectId(\\d+)",
        name: "project-dashboard",
        component: () => import("@/features/projects/ProjectsDashboardPage.vue"),
        props: projectId,
        meta: { title: "shell.nav.dashboard", section: "dashboard" },
      },
      ...uploadRoutes("training_data", "data", "training-data"),
      ...uploadRoutes("item_meta_data", "item-metadata", "item-meta-data"),
      {
        path: "projects/:projectId(\\d+)/tuning",
        name: "tuning",
        component: () => import("@/features/tuning/TuningListPage.vue"),
        props: projectId,
        meta: { title: "tuning.list.title", section: "tuning" },
      },
      {
        path: "projects/:projectId(\\d+)/tuning/new",
        name: "tuning-new",
        component: () => import("@/features/tuning/TuningCreatePage.vue"),
        props: projectId,
        meta: { title: "tuning.form.title", section: "tuning" },
      },
      {
        path: "projects/:projectId(\\d+)/tuning/:jobId(\\d+)",
        name: "tuning-detail",
        component: () => import("@/features/tuning/TuningDetailPage.vue"),
        props: (route) => ({ ...projectId(route), jobId: Number(route.params.jobId) }),
        meta: { title: "tuning.list.title", section: "tuning" },
      },
      {
        path: "projects/:projectId(\\d+)/configurations",
        name: "model-configurations",
        component: () => import("@/features/models/ModelsConfigListPage.vue"),
        props: projectId,
        meta: { title: "models.config.listTitle", section: "configurations" },
      },
      {
        path: "projects/:projectId(\\d+)/configurations/new",
        name: "model-configuration-new",
        component: () => import("@/features/models/ModelsConfigFormPage.vue"),
        props: projectId,
        meta: { title: "models.config.createTitle", section: "configurations" },
      },
      {
        path: "projects/:projectId(\\d+)/configurations/:configurationId(\\d+)",
        name: "model-configuration-detail",
        component: () => import("@/features/models/ModelsConfigDetailPage.vue"),
        props: (route) => ({ ...projectId(route), configurationId: Number(route.params.configurationId) }),
        meta: { title: "models.config.listTitle", section: "configurations" },
      },
      {
        path: "projects/:projectId(\\d+)/configurations/:configurationId(\\d+)/edit",
        name: "model-configuration-edit",
        component: () => import("@/features/models/ModelsConfigFormPage.vue"),
        props: (route) => ({ ...projectId(route), configurationId: Number(route.params.configurationId) }),
        meta: { title: "models.config.editTitle", section: "configurations" },
      },
      {
        path: "projects/:projectId(\\d+)/models",
        name: "models",
        component: () => import("@/features/models/ModelsListPage.vue"),
        props: projectId,
        meta: { title: "models.list.title", section: "models" },
      },
      {
        path: "projects/:projectId(\\d+)/models/train",
        name: "model-train",
        component: () => import("@/features/models/ModelsTrainPage.vue"),
        // ?configuration=<id> preselects the configuration, as its page's "Train" link does.
        props: (route) => ({
          ...projectId(route),
          configurationId: Number(route.query.configuration) > 0 ? Number(route.query.configuration) : undefined,
        }),
        meta: { title: "models.train.title", section: "models" },
      },
      {
        path: "projects/:projectId(\\d+)/models/compare",
        name: "models-compare",
        component: () => import("@/features/models/ModelsComparePage.vue"),
        props: projectId,
        meta: { title: "models.compare.title", section: "models" },
      },
      {
        path: "projects/:projectId(\\d+)/models/:modelId(\\d+)",
        name: "model-detail",
        component: () => import("@/features/models/ModelsDetailPage.vue"),
        props: (route) => ({ ...projectId(route), modelId: Number(route.params.modelId) }),
        meta: { title: "models.list.title", section: "models" },
      },
      {
        path: "account/password",
        name: "password-change",
        component: () => import("@/features/auth/AuthPasswordChangePage.vue"),
        meta: { title: "auth.password.title" },
      },
      {
        path: "projects/:projectId(\\d+)/api-keys",
        name: "api-keys",
        component: () => import("@/features/apikeys/ApikeysListPage.vue"),
        props: projectId,
        meta: { title: "apikeys.list.title", section: "api_keys" },
      },
      {
        path: "projects/:projectId(\\d+)/deployment",
        name: "slots",
        component: () => import("@/features/slots/SlotsListPage.vue"),
        props: projectId,
        meta: { title: "slots.list.title", section: "slots" },
      },
      {
        path: "projects/:projectId(\\d+)/serving",
        name: "serving",
        component: () => import("@/features/serving/ServingPage.vue"),
        props: projectId,
        meta: { title: "serving.title", section: "serving" },
      },
      {
        path: "projects/:projectId(\\d+)/ab-tests",
        name: "ab-tests",
        component: () => import("@/features/abtests/AbtestsListPage.vue"),
        props: projectId,
        meta: { title: "abtests.list.title", section: "ab_tests" },
      },
      {
        path: "projects/:projectId(\\d+)/ab-tests/:testId(\\d+)",
        name: "ab-test-detail",
        component: () => import("@/features/abtests/AbtestsDetailPage.vue"),
        props: (route) => ({ ...projectId(route), testId: Number(route.params.testId) }),
        meta: { title: "abtests.list.title", section: "ab_tests" },
      },
      {
        path: "projects/:projectId(\\d+)/conversions",
        name: "conversions",
        component: () => import("@/features/conversions/ConversionsListPage.vue"),
        props: projectId,
        meta: { title: "conversions.list.title", section: "conversions" },
      },
      {
        path: "projects/:projectId(\\d+)/retraining",
        name: "retraining",
        component: () => import("@/features/retraining/RetrainingPage.vue"),
        props: projectId,
        meta: { title: "retraining.title", section: "retraining" },
      },
      {
        path: "users",
        name: "users",
        component: () => import("@/features/users/UsersListPage.vue"),
        meta: { title: "users.title", section: "users", requiresAdmin: true },
      },
      {
        path: ":pathMatch(.*)*",
        name: "not-found",
        component: () => import("@/features/errors/ErrorsNotFoundPage.vue"),
        meta: { title: "errors.notFound.title" },
      },
    ],
  },
];

export function installGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const session = useSessionStore();
    if (session.status === "unknown") await session.restore();
    if (to.meta.public) {
      return to.name === "login" && session.isSignedIn ? safeRedirect(to.query.redirect) : true;
    }
    if (!session.isSignedIn) {
      return { name: "login", query: to.fullPath === "/" ? {} : { redirect: to.fullPath } };
    }
    // An admin page is not found for others: its existence tells them nothing.
    if (to.meta.requiresAdmin && !session.isAdmin) {
      return { name: "not-found", params: { pathMatch: to.path.slice(1).split("/") } };
    }
    return true;
  });
}

export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory(), routes });
  installGuards(router);
  return router;
}
