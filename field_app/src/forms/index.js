// The survey form engine of the field app: renderSurvey(container, definition, options) draws a stored survey
// version and checks its answers by the server's rules (see SurveyState, validateAnswers and the expression
// evaluator, each usable without a screen).
//
//   const form = renderSurvey(element, version.definition, { language: "vi", answers, onChange, t });
//   form.answers()      -> the answers to send (only those that apply)
//   form.files()        -> {questionPath: File} photos taken, to upload after the record
//   form.validate()     -> {questionPath: message} in the user's language (also shown next to the fields)
//   form.showErrors(e)  -> the server's per-field errors (its `errors` or `errors.answers`) next to the fields
//   form.destroy()

export { renderSurvey } from "./render.js";
export { SurveyState, pathOf } from "./state.js";
export { validateAnswers, errorPaths } from "./answers.js";
export { compileDefinition, labelText, languagesOf, pickLanguage } from "./definition.js";
export { ExpressionError, evaluate, parse } from "./expressions.js";
